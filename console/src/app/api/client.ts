import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import type { components, paths } from './schema';

/** A schema of the API by name, e.g. `Schema<'KeyOut'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** The paths that have an operation for `M`. */
export type PathOf<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends object ? P : never;
}[keyof paths];
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body an operation takes; `undefined` for one that takes none. */
export type RequestBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody: infer R }
    ? Json<R>
    : Operation<P, M> extends { requestBody?: infer R }
      ? Json<NonNullable<R>> | undefined
      : undefined;
export type ResponseBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer Ok }
      ? Json<Ok>
      : R extends { 201: infer Created }
        ? Json<Created>
        : R extends { 202: infer Accepted } // with a body (a queued replay), or none (void)
          ? unknown extends Json<Accepted>
            ? void
            : Json<Accepted>
          : void
    : never;
type PathParams<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { path: infer X } } ? X : never;
type QueryParams<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer X } } ? NonNullable<X> : never;

export interface CallOptions<P extends keyof paths, M extends Method> {
  path?: PathParams<P, M>;
  query?: QueryParams<P, M>;
}

/** `/api/v1/keys/{key_id}` with `{key_id: 'k1'}` → `/api/v1/keys/k1` (each value URL-encoded). */
export function fillPath(template: string, values: unknown): string {
  const params = (values ?? {}) as Record<string, string | number>;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`no value for {${name}} in ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

/** Query parameters; a list becomes the parameter repeated (`?id=a&id=b`), as the server reads it. */
export function queryParams(values: unknown): HttpParams {
  let params = new HttpParams();
  for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      for (const item of value) {
        params = params.append(name, String(item));
      }
    } else if (value !== undefined && value !== null) {
      params = params.set(name, String(value));
    }
  }
  return params;
}

/**
 * The API, typed by the schema generated from the server: a path, body or answer that no longer
 * matches the server's is a compile error. Only the per-domain services use it; components never do.
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly http = inject(HttpClient);

  get<P extends PathOf<'get'>>(
    path: P,
    options: CallOptions<P, 'get'> = {},
  ): Observable<ResponseBody<P, 'get'>> {
    return this.http.get<ResponseBody<P, 'get'>>(fillPath(path, options.path), {
      params: queryParams(options.query),
    });
  }

  post<P extends PathOf<'post'>>(
    path: P,
    body: RequestBody<P, 'post'>,
    options: CallOptions<P, 'post'> = {},
  ): Observable<ResponseBody<P, 'post'>> {
    return this.http.post<ResponseBody<P, 'post'>>(fillPath(path, options.path), body ?? {}, {
      params: queryParams(options.query),
    });
  }
  put<P extends PathOf<'put'>>(
    path: P,
    body: RequestBody<P, 'put'>,
    options: CallOptions<P, 'put'> = {},
  ): Observable<ResponseBody<P, 'put'>> {
    return this.http.put<ResponseBody<P, 'put'>>(fillPath(path, options.path), body ?? {}, {
      params: queryParams(options.query),
    });
  }

  patch<P extends PathOf<'patch'>>(
    path: P,
    body: RequestBody<P, 'patch'>,
    options: CallOptions<P, 'patch'> = {},
  ): Observable<ResponseBody<P, 'patch'>> {
    return this.http.patch<ResponseBody<P, 'patch'>>(fillPath(path, options.path), body ?? {}, {
      params: queryParams(options.query),
    });
  }

  delete<P extends PathOf<'delete'>>(
    path: P,
    options: CallOptions<P, 'delete'> = {},
  ): Observable<ResponseBody<P, 'delete'>> {
    return this.http.delete<ResponseBody<P, 'delete'>>(fillPath(path, options.path), {
      params: queryParams(options.query),
    });
  }
}
