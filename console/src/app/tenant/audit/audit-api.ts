import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type AuditEvent = Schema<'AuditEventOut'>;
export type AuditPage = Schema<'Page_AuditEventOut_'>;
export type Checkpoint = Schema<'CheckpointOut'>;
export type InclusionProof = Schema<'InclusionProofOut'>;
export type PublicKey = Schema<'PublicKeyOut'>;

/** What the audit page filters events on; every field left out means "all". */
export interface AuditFilter {
  kind?: AuditEvent['kind'];
  since?: Date;
  until?: Date;
}

/** How long after a request starts its audit event may be written (the recorder can lag behind). */
const EVENT_WITHIN_MS = 15 * 60_000;

/** `/api/v1/audit`: the tenant's view of the audit trail. */
@Injectable({ providedIn: 'root' })
export class AuditApi {
  private readonly api = inject(ApiClient);

  events(filter: AuditFilter, limit: number, cursor?: string): Observable<AuditPage> {
    return this.api.get('/api/v1/audit/events', {
      query: {
        kind: filter.kind,
        since: filter.since?.toISOString(),
        until: filter.until?.toISOString(),
        limit,
        cursor,
      },
    });
  }

  latestCheckpoint(): Observable<Checkpoint> {
    return this.api.get('/api/v1/audit/checkpoints/latest');
  }

  /** The proof that one event is in the log, against a signed checkpoint that covers it. */
  inclusionProof(eventId: string): Observable<InclusionProof> {
    return this.api.get('/api/v1/audit/proofs/inclusion', { query: { event_id: eventId } });
  }

  publicKeys(): Observable<PublicKey[]> {
    return this.api.get('/api/v1/audit/public-keys');
  }

  /**
   * The data-plane event of one request, or null if none is written (yet). The API filters events by
   * time and kind only, so this reads the events written around the request and picks its own.
   */
  eventOfRequest(requestId: string, startedAt: string): Observable<AuditEvent | null> {
    const start = new Date(startedAt).getTime();
    return this.api
      .get('/api/v1/audit/events', {
        query: {
          kind: 'data_plane',
          since: new Date(start - 60_000).toISOString(),
          until: new Date(start + EVENT_WITHIN_MS).toISOString(),
          limit: 200,
        },
      })
      .pipe(map((page) => page.data.find((event) => event.event['request_id'] === requestId) ?? null));
  }
}
