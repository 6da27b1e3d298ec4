import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type AdminUser = Schema<'AdminUserOut'>;
export type AdminUserPage = Schema<'Page_AdminUserOut_'>;

/** `/api/v1/admin/users`: everyone with an account on the installation. */
@Injectable({ providedIn: 'root' })
export class UsersApi {
  private readonly api = inject(ApiClient);

  list(search: string, cursor?: string): Observable<AdminUserPage> {
    return this.api.get('/api/v1/admin/users', {
      query: { limit: 50, cursor, search: search || undefined },
    });
  }

  disable(id: string): Observable<AdminUser> {
    return this.api.post('/api/v1/admin/users/{user_id}/disable', undefined, { path: { user_id: id } });
  }

  enable(id: string): Observable<AdminUser> {
    return this.api.post('/api/v1/admin/users/{user_id}/enable', undefined, { path: { user_id: id } });
  }

  grantPlatformAdmin(id: string): Observable<AdminUser> {
    return this.api.put('/api/v1/admin/users/{user_id}/platform-admin', undefined, {
      path: { user_id: id },
    });
  }

  revokePlatformAdmin(id: string): Observable<AdminUser> {
    return this.api.delete('/api/v1/admin/users/{user_id}/platform-admin', { path: { user_id: id } });
  }
}
