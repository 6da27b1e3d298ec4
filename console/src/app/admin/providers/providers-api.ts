import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient } from '../../api/client';
import type { ProvidersHealth } from './breakers';

/** `/api/v1/admin/providers/health`: the circuit breaker of each provider target. */
@Injectable({ providedIn: 'root' })
export class ProvidersApi {
  private readonly api = inject(ApiClient);

  health(): Observable<ProvidersHealth> {
    return this.api.get('/api/v1/admin/providers/health');
  }
}
