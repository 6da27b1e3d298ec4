import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, RouterStateSnapshot, UrlTree, provideRouter } from '@angular/router';

import { Profile } from '../core/profile';
import { Session } from '../core/session';
import { platformAdminGuard } from './admin-guard';

async function decide(admin: boolean | null): Promise<unknown> {
  TestBed.configureTestingModule({
    providers: [
      provideRouter([]),
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: Session, useValue: { restore: async () => admin !== null } },
      {
        provide: Profile,
        useValue: {
          lookUp: async () => (admin === null ? null : { id: 'u1', is_platform_admin: admin }),
        },
      },
    ],
  });
  return TestBed.runInInjectionContext(() =>
    platformAdminGuard({} as ActivatedRouteSnapshot, {} as RouterStateSnapshot),
  );
}

describe('platformAdminGuard', () => {
  it('lets platform admins in', async () => {
    expect(await decide(true)).toBe(true);
  });

  it('sends everyone else to the tenant picker', async () => {
    for (const who of [false, null]) {
      TestBed.resetTestingModule();
      const decision = await decide(who);
      expect(decision).toBeInstanceOf(UrlTree);
      expect(String(decision)).toBe('/select-tenant');
    }
  });
});
