import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Plan = Schema<'PlanOut'>;
export type NewPlan = Schema<'PlanIn'>;
export type Override = Schema<'OverrideOut'>;
export type NewOverride = Schema<'OverrideIn'>;

/** `/api/v1/billing/admin`: the installation's plans and each tenant's negotiated prices. */
@Injectable({ providedIn: 'root' })
export class BillingApi {
  private readonly api = inject(ApiClient);

  plans(): Observable<Schema<'Page_PlanOut_'>> {
    return this.api.get('/api/v1/billing/admin/plans', { query: { limit: 100 } });
  }

  createPlan(plan: NewPlan): Observable<Plan> {
    return this.api.post('/api/v1/billing/admin/plans', plan);
  }

  /** 409 `plan_in_use` while tenants are on it. */
  deletePlan(id: string): Observable<void> {
    return this.api.delete('/api/v1/billing/admin/plans/{plan_id}', { path: { plan_id: id } });
  }

  prices(tenantId: string): Observable<Override[]> {
    return this.api.get('/api/v1/billing/admin/tenants/{tenant_id}/pricing', {
      path: { tenant_id: tenantId },
    });
  }

  /** Creates the tenant's price for the model, or replaces the one it has. */
  setPrice(tenantId: string, price: NewOverride): Observable<Override> {
    return this.api.post('/api/v1/billing/admin/tenants/{tenant_id}/pricing', price, {
      path: { tenant_id: tenantId },
    });
  }

  removePrice(tenantId: string, id: string): Observable<void> {
    return this.api.delete('/api/v1/billing/admin/tenants/{tenant_id}/pricing/{override_id}', {
      path: { tenant_id: tenantId, override_id: id },
    });
  }
}
