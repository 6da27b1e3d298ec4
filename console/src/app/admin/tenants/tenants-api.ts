import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Tenant = Schema<'TenantOut'>;
export type TenantPage = Schema<'Page_TenantOut_'>;
export type NewTenant = Schema<'TenantIn'>;
export type CreatedTenant = Schema<'TenantCreated'>;
export type Plan = Schema<'PlanOut'>;
export type TenantPlan = Schema<'TenantPlanOut'>;

/** `/api/v1/tenants` and the plans of `/api/v1/billing/admin`: the installation's tenants. */
@Injectable({ providedIn: 'root' })
export class TenantsApi {
  private readonly api = inject(ApiClient);

  list(cursor?: string): Observable<TenantPage> {
    return this.api.get('/api/v1/tenants', { query: { limit: 50, cursor } });
  }

  /** With `owner_email`, the first owner is invited by e-mail (`owner_invitation` in the answer). */
  create(tenant: NewTenant): Observable<CreatedTenant> {
    return this.api.post('/api/v1/tenants', tenant);
  }

  /** Suspend (`true`: its keys and sign-ins stop working, its data is kept) or resume it. */
  setDisabled(id: string, disabled: boolean): Observable<Tenant> {
    return this.api.patch('/api/v1/tenants/{tenant_id}', { disabled }, { path: { tenant_id: id } });
  }

  plans(): Observable<Schema<'Page_PlanOut_'>> {
    return this.api.get('/api/v1/billing/admin/plans', { query: { limit: 100 } });
  }

  /** The plans of these tenants (those on none are left out). */
  plansOf(tenantIds: string[]): Observable<TenantPlan[]> {
    return this.api.get('/api/v1/billing/admin/tenant-plans', { query: { tenant_id: tenantIds } });
  }

  assignPlan(tenantId: string, planId: string): Observable<TenantPlan> {
    return this.api.put(
      '/api/v1/billing/admin/tenants/{tenant_id}/plan',
      { plan_id: planId },
      { path: { tenant_id: tenantId } },
    );
  }
}
