import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { ApiClient, Schema } from '../../api/client';

export type TenantSettings = Schema<'SettingsOut'>;
export type SettingsPatch = Schema<'SettingsPatch'>;
export type Flag = Schema<'TenantFlagOut'>;
export type FlagRule = Schema<'FlagRule'>;
export type TenantFlagRule = Schema<'TenantFlagRule'>;

/** `/api/v1/settings` and `/api/v1/flags`: the tenant's settings, region pinning and feature flags. */
@Injectable({ providedIn: 'root' })
export class SettingsApi {
  private readonly api = inject(ApiClient);

  settings(): Observable<TenantSettings> {
    return this.api.get('/api/v1/settings');
  }

  patch(change: SettingsPatch): Observable<TenantSettings> {
    return this.api.patch('/api/v1/settings', change);
  }

  regions(): Observable<Schema<'RegionsOut'>> {
    return this.api.get('/api/v1/settings/regions');
  }

  pinRegions(regions: string[] | null): Observable<Schema<'RegionsOut'>> {
    return this.api.put('/api/v1/settings/regions', { allowed_regions: regions });
  }

  flags(): Observable<Schema<'FlagsOut'>> {
    return this.api.get('/api/v1/flags');
  }

  setFlag(name: string, rule: TenantFlagRule): Observable<unknown> {
    return this.api.put('/api/v1/flags/{name}', rule, { path: { name } });
  }

  clearFlag(name: string): Observable<unknown> {
    return this.api.delete('/api/v1/flags/{name}', { path: { name } });
  }
}
