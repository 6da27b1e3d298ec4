import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

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

async function render(users: AdminUser[], calls: string[] = []): Promise<HTMLElement> {
  const api: Partial<UsersApi> = {
    list: (search: string) => {
      calls.push(`list ${search}`);
      return of({ data: users, next_cursor: null });
    },
  };
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: UsersApi, useValue: api },
      {
        provide: Profile,
        useValue: { me: signal(user('me', { is_platform_admin: true })), lookUp: async () => null },
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
});
