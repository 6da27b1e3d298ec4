import { HttpClient, HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, PathOf, Schema, queryParams } from '../../api/client';

export type Aggregates = Schema<'Aggregates'>;
export type AggregateRow = Schema<'AggregateRow'>;
export type GroupBy = Schema<'GroupBy'>;
export type TimeSeries = Schema<'TimeSeries'>;
export type Point = Schema<'Point'>;
export type Breakdown = Schema<'Breakdown'>;
export type BreakdownBy = Schema<'BreakdownBy'>;
export type BreakdownRow = Schema<'BreakdownRow'>;
export type UsageRecord = Schema<'RecordOut'>;
export type RecordPage = Schema<'Page_RecordOut_'>;
export type Outcome = Schema<'Outcome'>;

/** What the usage pages filter on; every field left out means "all". */
export interface UsageFilter {
  since: Date;
  until?: Date;
  keyId?: string;
  alias?: string;
  provider?: string;
  status?: Outcome;
}

/** A filter as the API's query parameters (`/usage/records`, `/usage/export.csv`). */
export function usageQuery(filter: UsageFilter) {
  return {
    since: filter.since.toISOString(),
    until: filter.until?.toISOString(),
    key_id: filter.keyId || undefined,
    alias: filter.alias || undefined,
    provider: filter.provider || undefined,
    status: filter.status || undefined,
  };
}

const EXPORT: PathOf<'get'> = '/api/v1/usage/export.csv';

/** `/api/v1/usage`: what the tenant's applications sent through the gateway. */
@Injectable({ providedIn: 'root' })
export class UsageApi {
  private readonly api = inject(ApiClient);
  private readonly http = inject(HttpClient);

  aggregates(groupBy: GroupBy, since: Date, until?: Date): Observable<Aggregates> {
    return this.api.get('/api/v1/usage/aggregates', {
      query: { group_by: groupBy, since: since.toISOString(), until: until?.toISOString() },
    });
  }

  /** Sums per hour or day from the roll-ups (they know no status: that filter is for records only). */
  timeseries(filter: UsageFilter, granularity: Schema<'Granularity'>): Observable<TimeSeries> {
    const { since, until, key_id, alias, provider } = usageQuery(filter);
    return this.api.get('/api/v1/usage/timeseries', {
      query: { since, until, key_id, alias, provider, granularity },
    });
  }

  /** Sums per key, model or provider over the range (the API filters them by nothing else). */
  breakdown(by: BreakdownBy, since: Date, until?: Date): Observable<Breakdown> {
    return this.api.get('/api/v1/usage/breakdown', {
      query: { by, since: since.toISOString(), until: until?.toISOString() },
    });
  }

  records(filter: UsageFilter, limit: number, cursor?: string): Observable<RecordPage> {
    return this.api.get('/api/v1/usage/records', { query: { ...usageQuery(filter), limit, cursor } });
  }

  /** The records as CSV (a blob, since the call needs the access token a plain link cannot send). */
  exportCsv(filter: UsageFilter): Observable<HttpResponse<Blob>> {
    return this.http.get(EXPORT, {
      params: queryParams(usageQuery(filter)),
      responseType: 'blob',
      observe: 'response',
    });
  }
}
