import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type Route = Schema<'RouteOut'>;
export type RouteIn = Schema<'RouteIn'>;

/** `/api/v1/routes`: the tenant's own model aliases (each an ordered list of provider targets). */
@Injectable({ providedIn: 'root' })
export class RoutesApi {
  private readonly api = inject(ApiClient);

  list(): Observable<Schema<'Page_RouteOut_'>> {
    return this.api.get('/api/v1/routes', { query: { limit: 200 } });
  }

  create(route: RouteIn): Observable<Route> {
    return this.api.post('/api/v1/routes', route);
  }

  replace(id: string, route: RouteIn): Observable<Route> {
    return this.api.put('/api/v1/routes/{route_id}', route, { path: { route_id: id } });
  }

  remove(id: string): Observable<void> {
    return this.api.delete('/api/v1/routes/{route_id}', { path: { route_id: id } });
  }
}
