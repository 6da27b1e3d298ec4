import { Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { AuthApi, TenantChoice, Tokens } from './auth-api';

/** Renew the access token this long before it expires. */
const RENEW_BEFORE_S = 60;

/**
 * The `sub` claim of a JWT, read without checking the signature: the server checks it on every call;
 * the console only needs to know whose keys are whose.
 */
export function subjectOf(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) {
    return null;
  }
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : null;
  } catch {
    return null;
  }
}

/**
 * Who is signed in. The access token lives in this object only (memory: never localStorage or
 * sessionStorage, so a reload forgets it); the refresh token is an httpOnly cookie the server sets,
 * which restores the session after a reload without any script seeing it.
 */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly auth = inject(AuthApi);
  private readonly accessToken = signal<string | null>(null);
  private readonly boundTenant = signal<string | null>(null);
  private renewal: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<boolean> | null = null;
  private restoring: Promise<boolean> | null = null;
  private lookingUp: Promise<void> | null = null;

  readonly signedIn = computed(() => this.accessToken() !== null);
  /** The signed-in user's id (the access token's `sub` claim), or null. */
  readonly userId = computed(() => subjectOf(this.accessToken()));
  /** The id of the tenant the session is bound to, or null before one is picked. */
  readonly tenantId = this.boundTenant.asReadonly();
  /** The tenant picked, when known (after a reload, the shell looks it up). */
  readonly tenant = signal<TenantChoice | null>(null);

  token(): string | null {
    return this.accessToken();
  }

  async signIn(email: string, password: string): Promise<void> {
    this.start(await firstValueFrom(this.auth.login(email, password)));
  }

  async selectTenant(choice: TenantChoice): Promise<void> {
    this.start(await firstValueFrom(this.auth.selectTenant(choice.id)));
    this.tenant.set(choice);
  }

  /** Renew the pair from the cookie; false (and signed out) if the session is over. Single flight. */
  refresh(): Promise<boolean> {
    this.refreshing ??= firstValueFrom(this.auth.refresh())
      .then((tokens) => {
        this.start(tokens);
        return true;
      })
      .catch(() => {
        this.forget();
        return false;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /**
   * Whether signed in, resuming the cookie's session on the first call (after a reload); later
   * calls, including those made while the first is under way, share its answer.
   */
  async restore(): Promise<boolean> {
    if (this.signedIn()) {
      return true;
    }
    this.restoring ??= this.refresh();
    await this.restoring;
    return this.signedIn();
  }

  /**
   * Know the bound tenant's name and the role there: after a reload the token names the tenant's id
   * only, so this asks `/auth/tenants` once (later calls share the answer).
   */
  async lookUpTenant(): Promise<void> {
    if (this.tenant() !== null || this.tenantId() === null) {
      return;
    }
    this.lookingUp ??= firstValueFrom(this.auth.tenants())
      .then((tenants) => this.tenant.set(tenants.find((tenant) => tenant.id === this.tenantId()) ?? null))
      .catch(() => undefined)
      .finally(() => {
        this.lookingUp = null;
      });
    await this.lookingUp;
  }

  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.auth.logout());
    } finally {
      this.forget();
    }
  }

  private start(tokens: Tokens): void {
    this.accessToken.set(tokens.access_token);
    if (tokens.tenant_id !== this.boundTenant()) {
      this.tenant.set(null);
    }
    this.boundTenant.set(tokens.tenant_id);
    clearTimeout(this.renewal);
    const inMs = Math.max(tokens.expires_in - RENEW_BEFORE_S, 5) * 1000;
    this.renewal = setTimeout(() => void this.refresh(), inMs);
  }

  private forget(): void {
    clearTimeout(this.renewal);
    this.accessToken.set(null);
    this.boundTenant.set(null);
    this.tenant.set(null);
  }
}
