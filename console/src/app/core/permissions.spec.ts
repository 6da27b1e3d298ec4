import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { UrlTree, provideRouter } from '@angular/router';

import { permitted } from './guards';
import { allows, MATRIX, maySteerKey, Permission, Role } from './permissions';
import { Session, subjectOf } from './session';

describe('allows', () => {
  it('lets an auditor read everything and change nothing', () => {
    const granted = [...MATRIX.auditor];
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.every((p) => p.endsWith(':read'))).toBe(true);
    for (const write of ['keys:write', 'keys:manage-all', 'reviews:write', 'tenant:write'] as Permission[]) {
      expect(allows('auditor', write)).toBe(false);
    }
    expect(allows('auditor', 'audit:read')).toBe(true);
    expect(allows('auditor', 'usage:read')).toBe(true);
  });

  it('gives owners everything and admins all but the owner role', () => {
    expect(allows('owner', 'owners:write')).toBe(true);
    expect(allows('admin', 'owners:write')).toBe(false);
    expect(allows('admin', 'reviews:write')).toBe(true);
  });

  it('lets a member use keys and usage, not the guard or the audit trail', () => {
    expect(allows('member', 'keys:write')).toBe(true);
    expect(allows('member', 'usage:read')).toBe(true);
    expect(allows('member', 'audit:read')).toBe(false);
    expect(allows('member', 'reviews:read')).toBe(false);
  });

  it('allows nothing while the role is unknown', () => {
    expect(allows(null, 'usage:read')).toBe(false);
    expect(allows(undefined, 'keys:read')).toBe(false);
  });
});

describe('maySteerKey', () => {
  const mine = { created_by: 'u1' };
  const theirs = { created_by: 'u2' };
  const operators = { created_by: null };

  it.each<[Role, boolean, boolean, boolean]>([
    ['owner', true, true, true],
    ['admin', true, true, true],
    ['member', true, false, false],
    ['auditor', false, false, false],
  ])('%s: own key %s, another user’s %s, the operator’s %s', (role, own, other, operator) => {
    expect(maySteerKey(role, 'u1', mine)).toBe(own);
    expect(maySteerKey(role, 'u1', theirs)).toBe(other);
    expect(maySteerKey(role, 'u1', operators)).toBe(operator);
  });

  it('lets a member change no key before knowing who they are', () => {
    expect(maySteerKey('member', null, mine)).toBe(false);
  });
});

describe('subjectOf', () => {
  const encode = (claims: object): string =>
    btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

  it('reads the sub claim of a token', () => {
    expect(subjectOf(`h.${encode({ sub: 'user-1', tid: 't' })}.sig`)).toBe('user-1');
  });

  it('is null without a token or a readable payload', () => {
    expect(subjectOf(null)).toBeNull();
    expect(subjectOf('not-a-jwt')).toBeNull();
    expect(subjectOf('h.%%%.sig')).toBeNull();
    expect(subjectOf(`h.${encode({ sub: 42 })}.sig`)).toBeNull();
  });
});

describe('permitted', () => {
  async function visit(role: Role | null, ...needs: Permission[]): Promise<unknown> {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    const session = TestBed.inject(Session);
    vi.spyOn(session, 'restore').mockResolvedValue(true);
    vi.spyOn(session, 'lookUpTenant').mockResolvedValue();
    if (role !== null) {
      session.tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
    }
    const guard = permitted(...needs);
    return TestBed.runInInjectionContext(() => guard({} as never, {} as never));
  }

  it('lets a role with one of the permissions in', async () => {
    expect(await visit('auditor', 'audit:read', 'reviews:read')).toBe(true);
  });

  it('sends the others, and anyone whose role is unknown, to the overview', async () => {
    const member = await visit('member', 'audit:read', 'reviews:read');
    expect(member).toBeInstanceOf(UrlTree);
    expect(String(member)).toBe('/overview');
    TestBed.resetTestingModule();
    expect(String(await visit(null, 'usage:read'))).toBe('/overview');
  });
});
