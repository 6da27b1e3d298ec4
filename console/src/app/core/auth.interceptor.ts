import { HttpErrorResponse, HttpInterceptorFn, HttpRequest } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, from, switchMap, throwError } from 'rxjs';

import { apiErrorCode } from '../api/errors';
import { Session } from './session';

/** Endpoints that take no access token (they are how one is obtained). */
const ANONYMOUS = [
  '/api/v1/auth/login',
  '/api/v1/auth/refresh',
  '/api/v1/auth/password-reset',
  '/api/v1/auth/invitations/accept',
];

function anonymous(request: HttpRequest<unknown>): boolean {
  return ANONYMOUS.some((path) => request.url.startsWith(path));
}

function withToken(request: HttpRequest<unknown>, token: string | null): HttpRequest<unknown> {
  return token === null ? request : request.clone({ setHeaders: { Authorization: `Bearer ${token}` } });
}

/**
 * Sends the access token with every API call; when it has expired, renews it from the refresh
 * cookie once and repeats the call, or sends the person to sign in if the session is over.
 */
export const authInterceptor: HttpInterceptorFn = (request, next) => {
  if (!request.url.startsWith('/api/') || anonymous(request)) {
    return next(request);
  }
  const session = inject(Session);
  const router = inject(Router);
  return next(withToken(request, session.token())).pipe(
    catchError((error: unknown) => {
      if (
        !(error instanceof HttpErrorResponse) ||
        error.status !== 401 ||
        apiErrorCode(error) !== 'token_expired'
      ) {
        return throwError(() => error);
      }
      return from(session.refresh()).pipe(
        switchMap((renewed) => {
          if (!renewed) {
            void router.navigate(['/sign-in']);
            return throwError(() => error);
          }
          return next(withToken(request, session.token()));
        }),
      );
    }),
  );
};
