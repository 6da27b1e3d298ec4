import { HttpErrorResponse } from '@angular/common/http';

/** The code of an API error (`{"error": {"code", "message"}}`), or null. */
export function apiErrorCode(error: unknown): string | null {
  if (error instanceof HttpErrorResponse) {
    const body = error.error as { error?: { code?: unknown } } | null;
    return typeof body?.error?.code === 'string' ? body.error.code : null;
  }
  return null;
}

/** What to tell the person about a failed call: the API's own message when it sent one. */
export function apiErrorMessage(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    const body = error.error as { error?: { message?: unknown } } | null;
    if (typeof body?.error?.message === 'string') {
      return body.error.message;
    }
    if (error.status === 0) {
      return 'The server cannot be reached. Check your connection and try again.';
    }
    return `The server answered ${error.status} ${error.statusText}. Try again in a moment.`;
  }
  return 'Something went wrong. Reload the page and try again.';
}
