import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Violation = Schema<'ViolationOut'>;
export type ViolationPage = Schema<'Page_ViolationOut_'>;
export type ViolationSummary = Schema<'ViolationSummary'>;
export type ViolationSeries = Schema<'ViolationSeries'>;

/** What the violations list filters on; every field left out means "all". */
export interface ViolationFilter {
  since?: Date;
  until?: Date;
  detector?: string;
  type?: string;
  action?: 'block' | 'redact' | 'flag';
  direction?: 'input' | 'output';
  keyId?: string;
  requestId?: string;
}

/** `/api/v1/violations`: what the guard found on the tenant's requests (never the text itself). */
@Injectable({ providedIn: 'root' })
export class ViolationsApi {
  private readonly api = inject(ApiClient);

  list(filter: ViolationFilter, limit: number, cursor?: string): Observable<ViolationPage> {
    return this.api.get('/api/v1/violations', {
      query: {
        limit,
        cursor,
        since: filter.since?.toISOString(),
        until: filter.until?.toISOString(),
        detector: filter.detector || undefined,
        type: filter.type || undefined,
        action: filter.action || undefined,
        direction: filter.direction || undefined,
        key_id: filter.keyId || undefined,
        request_id: filter.requestId || undefined,
      },
    });
  }

  summary(since: Date, until?: Date): Observable<ViolationSummary> {
    return this.api.get('/api/v1/violations/summary', {
      query: { since: since.toISOString(), until: until?.toISOString() },
    });
  }

  /** Counts per UTC hour or day, enforced ones per action and shadow-mode ones apart. */
  timeseries(granularity: Schema<'Granularity'>, since: Date, until?: Date): Observable<ViolationSeries> {
    return this.api.get('/api/v1/violations/timeseries', {
      query: { granularity, since: since.toISOString(), until: until?.toISOString() },
    });
  }
}
