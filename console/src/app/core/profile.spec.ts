import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';

import { Profile } from './profile';
import { Session } from './session';

/** An unsigned JWT whose `sub` is `user` (the console reads the claim; the server checks the rest). */
function token(user: string): string {
  const payload = btoa(JSON.stringify({ sub: user })).replace(/=+$/, '');
  return `e30.${payload}.sig`;
}

function tokens(user: string) {
  return {
    access_token: token(user),
    token_type: 'bearer',
    expires_in: 900,
    refresh_token: null,
    refresh_expires_in: 2592000,
    tenant_id: null,
  };
}

function me(id: string, admin: boolean) {
  return {
    id,
    email: `${id}@example.test`,
    name: id,
    is_platform_admin: admin,
    created_at: '2026-12-07T10:00:00Z',
  };
}

describe('Profile', () => {
  let profile: Profile;
  let session: Session;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    profile = TestBed.inject(Profile);
    session = TestBed.inject(Session);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function signIn(user: string): Promise<void> {
    const signingIn = session.signIn(`${user}@example.test`, 'pw');
    http.expectOne('/api/v1/auth/login').flush(tokens(user));
    await signingIn;
  }

  it('asks nothing while signed out', async () => {
    expect(await profile.lookUp()).toBeNull();
    expect(profile.platformAdmin()).toBe(false);
  });

  it('asks /users/me once per user, for simultaneous callers too', async () => {
    await signIn('ada');
    const first = profile.lookUp();
    const second = profile.lookUp();
    http.expectOne('/api/v1/users/me').flush(me('ada', true));
    expect((await first)?.id).toBe('ada');
    expect((await second)?.id).toBe('ada');
    expect(profile.platformAdmin()).toBe(true);
    expect((await profile.lookUp())?.id).toBe('ada'); // known: no new request
  });

  it('forgets the previous user’s answer when someone else signs in', async () => {
    await signIn('ada');
    const ada = profile.lookUp();
    http.expectOne('/api/v1/users/me').flush(me('ada', true));
    await ada;
    await signIn('bob');
    expect(profile.platformAdmin()).toBe(false); // not Ada's answer
    const bob = profile.lookUp();
    http.expectOne('/api/v1/users/me').flush(me('bob', false));
    expect((await bob)?.is_platform_admin).toBe(false);
    expect(profile.platformAdmin()).toBe(false);
  });

  it('answers null when the API refuses', async () => {
    await signIn('ada');
    const lookUp = profile.lookUp();
    http
      .expectOne('/api/v1/users/me')
      .flush(
        { error: { code: 'invalid_token', message: 'no' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    expect(await lookUp).toBeNull();
    expect(profile.platformAdmin()).toBe(false);
  });
});
