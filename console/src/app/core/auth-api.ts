import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../api/client';

export type Tokens = Schema<'TokensOut'>;
export type TenantChoice = Schema<'TenantChoice'>;
export type Accepted = Schema<'AcceptOut'>;

/** `/api/v1/auth`: the console always asks for the refresh token as an httpOnly cookie. */
@Injectable({ providedIn: 'root' })
export class AuthApi {
  private readonly api = inject(ApiClient);

  login(email: string, password: string): Observable<Tokens> {
    return this.api.post('/api/v1/auth/login', { email, password, refresh_cookie: true });
  }

  /** A new pair from the refresh cookie (the browser sends it; no script can read it). */
  refresh(): Observable<Tokens> {
    return this.api.post('/api/v1/auth/refresh', {});
  }

  logout(): Observable<void> {
    return this.api.post('/api/v1/auth/logout', {});
  }

  tenants(): Observable<TenantChoice[]> {
    return this.api.get('/api/v1/auth/tenants');
  }

  selectTenant(tenant: string): Observable<Tokens> {
    return this.api.post('/api/v1/auth/select-tenant', { tenant, refresh_cookie: true });
  }

  requestPasswordReset(email: string): Observable<void> {
    return this.api.post('/api/v1/auth/password-reset', { email });
  }

  confirmPasswordReset(token: string, newPassword: string): Observable<void> {
    return this.api.post('/api/v1/auth/password-reset/confirm', { token, new_password: newPassword });
  }

  acceptInvitation(token: string, name: string | null, password: string | null): Observable<Accepted> {
    return this.api.post('/api/v1/auth/invitations/accept', { token, name, password });
  }
}
