import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Webhook = Schema<'WebhookOut'>;
export type CreatedWebhook = Schema<'WebhookCreated'>;
export type NewWebhook = Schema<'WebhookCreate'>;
export type Delivery = Schema<'DeliveryOut'>;
export type Topic = NewWebhook['topics'][number];

/** The topics a subscription may ask for (the server's `Topic`), with what each carries. */
export const TOPICS: readonly { value: Topic; label: string }[] = [
  { value: 'inference.events.v1', label: 'Inference: every gateway call' },
  { value: 'budget.events.v1', label: 'Budgets: thresholds and limits reached' },
  { value: 'hitl.events.v1', label: 'Reviews: items for human review' },
  { value: 'eval.events.v1', label: 'Evals: runs completed' },
];

/** `/api/v1/webhooks`: the tenant's subscriptions, their deliveries, and the dead letters. */
@Injectable({ providedIn: 'root' })
export class WebhooksApi {
  private readonly api = inject(ApiClient);

  list(): Observable<Schema<'Page_WebhookOut_'>> {
    return this.api.get('/api/v1/webhooks', { query: { limit: 100 } });
  }

  /** The answer carries the signing secret, shown this once. */
  create(webhook: NewWebhook): Observable<CreatedWebhook> {
    return this.api.post('/api/v1/webhooks', webhook);
  }

  setActive(id: string, active: boolean): Observable<Webhook> {
    return this.api.patch('/api/v1/webhooks/{webhook_id}', { active }, { path: { webhook_id: id } });
  }

  remove(id: string): Observable<unknown> {
    return this.api.delete('/api/v1/webhooks/{webhook_id}', { path: { webhook_id: id } });
  }

  deliveries(id: string): Observable<Schema<'Page_DeliveryOut_'>> {
    return this.api.get('/api/v1/webhooks/{webhook_id}/deliveries', {
      path: { webhook_id: id },
      query: { limit: 100 },
    });
  }

  deadLetters(): Observable<Schema<'Page_DeliveryOut_'>> {
    return this.api.get('/api/v1/webhooks/dead-letters', { query: { limit: 100 } });
  }

  /** Sends a dead delivery again: it is pending once more, with its attempts reset. */
  replay(deliveryId: string): Observable<Delivery> {
    return this.api.post('/api/v1/webhooks/dead-letters/{delivery_id}/replay', undefined, {
      path: { delivery_id: deliveryId },
    });
  }
}
