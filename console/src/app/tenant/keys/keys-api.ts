import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Key = Schema<'KeyOut'>;
export type CreatedKey = Schema<'CreatedKeyOut'>;
export type KeyPage = Schema<'Page_KeyOut_'>;
export type NewKey = Schema<'KeyCreate'>;

/** `/api/v1/keys`: the tenant's virtual keys for the gateway. */
@Injectable({ providedIn: 'root' })
export class KeysApi {
  private readonly api = inject(ApiClient);

  list(cursor?: string): Observable<KeyPage> {
    return this.api.get('/api/v1/keys', { query: { limit: 100, cursor } });
  }

  create(key: NewKey): Observable<CreatedKey> {
    return this.api.post('/api/v1/keys', key);
  }

  revoke(id: string): Observable<Key> {
    return this.api.post('/api/v1/keys/{key_id}/revoke', undefined, { path: { key_id: id } });
  }
}
