import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type OutboxPage = Schema<'OutboxOut'>;
export type OutboxMail = Schema<'OutboxMailOut'>;

/** `/api/v1/admin/outbox`: the mail kept instead of sent (development without an SMTP server). */
@Injectable({ providedIn: 'root' })
export class OutboxApi {
  private readonly api = inject(ApiClient);

  recent(): Observable<OutboxPage> {
    return this.api.get('/api/v1/admin/outbox', { query: { limit: 100 } });
  }
}
