import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Aggregates = Schema<'Aggregates'>;
export type AggregateRow = Schema<'AggregateRow'>;
export type GroupBy = Schema<'GroupBy'>;

/** `/api/v1/usage`: what the tenant's applications sent through the gateway. */
@Injectable({ providedIn: 'root' })
export class UsageApi {
  private readonly api = inject(ApiClient);

  aggregates(groupBy: GroupBy, since: Date, until?: Date): Observable<Aggregates> {
    return this.api.get('/api/v1/usage/aggregates', {
      query: { group_by: groupBy, since: since.toISOString(), until: until?.toISOString() },
    });
  }
}
