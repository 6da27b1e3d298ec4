import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Rewrapped = Schema<'RewrapOut'>;

/** `/api/v1/admin/master-key`: the master key that wraps the sealed secrets' data keys. */
@Injectable({ providedIn: 'root' })
export class MasterKeyApi {
  private readonly api = inject(ApiClient);

  rewrap(): Observable<Rewrapped> {
    return this.api.post('/api/v1/admin/master-key/rewrap', undefined);
  }
}
