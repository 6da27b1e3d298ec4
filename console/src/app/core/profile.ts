import { Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { ApiClient, Schema } from '../api/client';
import { Session } from './session';

export type Me = Schema<'UserOut'>;

/**
 * The signed-in person's own profile (`/api/v1/users/me`): whether they are a platform admin decides
 * whether the console offers the admin area. Asked once per signed-in user; the server decides anyway.
 */
@Injectable({ providedIn: 'root' })
export class Profile {
  private readonly api = inject(ApiClient);
  private readonly session = inject(Session);
  private readonly loaded = signal<Me | null>(null);
  private pending: Promise<Me | null> | null = null;

  /** The profile, once looked up, of the user signed in now (null otherwise). */
  readonly me = computed(() => {
    const me = this.loaded();
    return me !== null && me.id === this.session.userId() ? me : null;
  });
  readonly platformAdmin = computed(() => this.me()?.is_platform_admin === true);

  /** Ask again (e.g. after one's own platform admin was revoked). */
  async reload(): Promise<Me | null> {
    this.loaded.set(null);
    return this.lookUp();
  }

  /** Look the profile up if it is not known for the current user; null when signed out or refused. */
  async lookUp(): Promise<Me | null> {
    if (!this.session.signedIn()) {
      return null;
    }
    if (this.me() !== null) {
      return this.me();
    }
    this.pending ??= firstValueFrom(this.api.get('/api/v1/users/me'))
      .then((me) => {
        this.loaded.set(me);
        return me;
      })
      .catch(() => null)
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }
}
