import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type InstallationUsage = Schema<'InstallationUsageOut'>;
export type TenantUsage = Schema<'TenantUsageOut'>;

/** `/api/v1/admin/usage`: usage summed per tenant (totals only, never a tenant's records). */
@Injectable({ providedIn: 'root' })
export class AdminUsageApi {
  private readonly api = inject(ApiClient);

  perTenant(since: Date): Observable<InstallationUsage> {
    return this.api.get('/api/v1/admin/usage', { query: { since: since.toISOString() } });
  }
}
