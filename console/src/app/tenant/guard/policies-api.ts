import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type PolicyVersion = Schema<'PolicyVersionOut'>;
export type PolicyVersionPage = Schema<'Page_PolicyVersionOut_'>;
export type PolicyDocument = Schema<'Policy'>;
export type TryRequest = Schema<'TryIn'>;
export type TryResult = Schema<'TryOut'>;
export type TriedFinding = Schema<'TriedFinding'>;

/** `/api/v1/policies`: the tenant's guard policy, its versions, and the installation's default. */
@Injectable({ providedIn: 'root' })
export class PoliciesApi {
  private readonly api = inject(ApiClient);

  active(): Observable<PolicyVersion> {
    return this.api.get('/api/v1/policies/active');
  }

  versions(cursor?: string): Observable<PolicyVersionPage> {
    return this.api.get('/api/v1/policies', { query: { limit: 100, cursor } });
  }

  /** Saves `policy` as the next version, which becomes the active one (400 `invalid_policy` if not valid). */
  save(policy: Record<string, unknown>): Observable<PolicyVersion> {
    return this.api.put('/api/v1/policies/active', { policy });
  }

  /** Saves a copy of `version` as the next version. */
  rollback(version: number): Observable<PolicyVersion> {
    return this.api.post('/api/v1/policies/rollback', { version });
  }

  /** What the gateway would decide for a sample under a draft (`policy`) or, without one, the active policy. */
  try(request: TryRequest): Observable<TryResult> {
    return this.api.post('/api/v1/policies/try', request);
  }
}
