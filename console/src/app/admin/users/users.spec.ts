import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { of, throwError } from 'rxjs';

import { Profile } from '../../core/profile';
import { AdminUser, UsersApi } from './users-api';
import { Users } from './users';

function user(id: string, extra: Partial<AdminUser> = {}): AdminUser {
  return {
    id,
    email: `${id}@example.test`,
    name: id,
    is_platform_admin: false,
    disabled: false,
    disabled_at: null,
    created_at: '2026-12-07T10:00:00Z',
    ...extra,
  };
}

async function render(
  users: AdminUser[],
  calls: string[] = [],
  revoke: Partial<UsersApi>['revokePlatformAdmin'] = undefined,
): Promise<HTMLElement> {
  const api: Partial<UsersApi> = {
    list: (search: string) => {
      calls.push(`list ${search}`);
      return of({ data: users, next_cursor: null });
    },
    revokePlatformAdmin: revoke,
  };
  TestBed.configureTestingModule({
    providers: [
      provideRouter([]),
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: UsersApi, useValue: api },
      {
        provide: Profile,
        useValue: {
          me: signal(user('me', { is_platform_admin: true })),
          lookUp: async () => null,
          reload: async () => {
            calls.push('reload');
            return null;
          },
        },
      },
    ],
  });
  const fixture = TestBed.createComponent(Users);
  await fixture.whenStable();
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

function labels(root: HTMLElement): string[] {
  return [...root.querySelectorAll('tbody button')].map(
    (b) => b.getAttribute('aria-label') ?? b.textContent?.trim() ?? '',
  );
}

describe('Users', () => {
  it('offers to disable others, never oneself, and to grant or revoke platform admin', async () => {
    const root = await render([
      user('me', { is_platform_admin: true }),
      user('ann'),
      user('bob', { disabled: true, is_platform_admin: true }),
    ]);
    expect(labels(root)).toEqual([
      'Revoke platform admin of me@example.test',
      'Grant platform admin to ann@example.test',
      'Disable ann@example.test',
      'Revoke platform admin of bob@example.test',
      'Enable bob@example.test',
    ]);
    expect(root.textContent).toContain('(you)');
  });

  it('says when a search matches nobody', async () => {
    const calls: string[] = [];
    const root = await render([], calls);
    expect(root.textContent).toContain('No users yet');
    expect(calls).toEqual(['list ']);
  });

  it('leaves the admin area once one’s own platform admin is revoked', async () => {
    const calls: string[] = [];
    const me = user('me', { is_platform_admin: true });
    await render([me, user('ann')], calls, (id) => {
      calls.push(`revoke ${id}`);
      return of(user(id));
    });
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    const fixture = TestBed.createComponent(Users);
    await fixture.componentInstance.setAdmin(me, false);
    expect(calls.slice(-2)).toEqual(['revoke me', 'reload']);
    expect(navigate).toHaveBeenCalledWith('/select-tenant');
  });

  it('stays, and says why, when the API refuses to revoke the last platform admin', async () => {
    const calls: string[] = [];
    const me = user('me', { is_platform_admin: true });
    await render([me], calls, () => throwError(() => new Error('last_platform_admin')));
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    const fixture = TestBed.createComponent(Users);
    await fixture.componentInstance.setAdmin(me, false);
    fixture.detectChanges();
    expect(calls).not.toContain('reload');
    expect(navigate).not.toHaveBeenCalled();
    expect((fixture.nativeElement as HTMLElement).querySelector('[role="alert"]')).not.toBeNull();
  });
});
