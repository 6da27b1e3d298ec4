import type { Route, RouteIn } from './routes-api';

/** The route form's value: text fields as typed, targets in order. */
export interface RouteDraft {
  alias: string;
  targets: { provider: string; model: string }[];
  cacheTtlS: string;
  regions: string;
  fallbackMessage: string;
}

export function emptyDraft(): RouteDraft {
  return {
    alias: '',
    targets: [{ provider: '', model: '' }],
    cacheTtlS: '',
    regions: '',
    fallbackMessage: '',
  };
}

export function draftOf(route: Route): RouteDraft {
  return {
    alias: route.alias,
    targets: route.targets.map((t) => ({ provider: t.provider, model: t.model })),
    cacheTtlS: route.cache_ttl_s === null || route.cache_ttl_s === undefined ? '' : String(route.cache_ttl_s),
    regions: (route.regions ?? []).join(', '),
    fallbackMessage: route.fallback?.message ?? '',
  };
}

/**
 * The draft as the API takes it. Nothing is checked here beyond turning text into the API's types:
 * the server validates, and its problems are shown on the fields (a cache time that is not a number
 * is sent as text, so that the server names the field).
 */
export function routeIn(draft: RouteDraft): RouteIn {
  const ttl = draft.cacheTtlS.trim();
  const regions = draft.regions
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  const message = draft.fallbackMessage.trim();
  return {
    alias: draft.alias.trim(),
    targets: draft.targets.map((t) => ({ provider: t.provider.trim(), model: t.model.trim() })),
    cache_ttl_s: ttl === '' ? null : Number.isFinite(Number(ttl)) ? Number(ttl) : (ttl as unknown as number),
    regions: regions.length > 0 ? regions : null,
    fallback: message ? { message } : null,
  };
}

/** The form's field names (as the API's error details name them), for `formErrors`. */
export function routeFields(targets: number): string[] {
  const fields = ['alias', 'targets', 'cache_ttl_s', 'regions', 'fallback'];
  for (let i = 0; i < targets; i++) {
    fields.push(`targets.${i}.provider`, `targets.${i}.model`);
  }
  return fields;
}

/** The API's own refusals, placed on the field they are about. */
export const ROUTE_ERROR_FIELDS: Readonly<Record<string, string>> = {
  duplicate_alias: 'alias',
  unknown_provider: 'targets',
  model_not_shared: 'targets',
};

/** `openai-prod/gpt-4o → azure-eu/gpt-4o`. */
export function describeTargets(route: Pick<Route, 'targets'>): string {
  return route.targets.map((t) => `${t.provider}/${t.model}`).join(' → ');
}
