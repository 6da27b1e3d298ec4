import { HttpErrorResponse } from '@angular/common/http';

import { apiErrorCode, apiErrorMessage } from './errors';

/** What a refused form gets: a message per field (by the form's own names), and the rest. */
export interface FormErrors {
  fields: Record<string, string>;
  other: string;
}

/**
 * The problems of a refused request, placed on the form's fields: a 422's `details` name them
 * (`body.targets.0.model` → `targets.0.model`); `byCode` places the API's own codes
 * (`duplicate_alias` → `alias`). What no field claims is said once, above the form.
 */
export function formErrors(
  error: unknown,
  known: readonly string[],
  byCode: Readonly<Record<string, string>> = {},
): FormErrors {
  const fields: Record<string, string> = {};
  const unplaced: string[] = [];
  const code = apiErrorCode(error);
  if (code !== null && byCode[code] !== undefined && known.includes(byCode[code])) {
    fields[byCode[code]] = apiErrorMessage(error);
    return { fields, other: '' };
  }
  const details = detailsOf(error);
  if (details.length === 0) {
    return { fields, other: apiErrorMessage(error) };
  }
  for (const { field, message } of details) {
    const name = field.replace(/^body\.?/, '');
    const target = longestKnown(name, known);
    if (target !== null && fields[target] === undefined) {
      fields[target] = message;
    } else if (target === null) {
      unplaced.push(name ? `${name}: ${message}` : message);
    }
  }
  return { fields, other: unplaced.join('; ') };
}

/** `targets.0.model` is shown on `targets.0.model`, or else on the nearest field above it (`targets`). */
function longestKnown(name: string, known: readonly string[]): string | null {
  const parts = name.split('.');
  for (let end = parts.length; end > 0; end--) {
    const candidate = parts.slice(0, end).join('.');
    if (known.includes(candidate)) {
      return candidate;
    }
  }
  return null;
}

function detailsOf(error: unknown): { field: string; message: string }[] {
  if (!(error instanceof HttpErrorResponse)) {
    return [];
  }
  const body = error.error as { error?: { details?: unknown } } | null;
  const details = body?.error?.details;
  if (!Array.isArray(details)) {
    return [];
  }
  return details.filter(
    (d): d is { field: string; message: string } =>
      typeof d?.field === 'string' && typeof d?.message === 'string',
  );
}
