import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { authInterceptor } from './auth.interceptor';
import { Session } from './session';

const TOKENS = {
  access_token: 'access-1',
  token_type: 'bearer',
  expires_in: 900,
  refresh_token: null,
  refresh_expires_in: 2592000,
  tenant_id: null,
};

describe('Session', () => {
  let session: Session;
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    session = TestBed.inject(Session);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('signs in asking for the refresh cookie and keeps the access token in memory only', async () => {
    const signingIn = session.signIn('alice@acme.test', 'pw');
    const login = http.expectOne('/api/v1/auth/login');
    expect(login.request.body).toEqual({ email: 'alice@acme.test', password: 'pw', refresh_cookie: true });
    expect(login.request.headers.has('Authorization')).toBe(false);
    login.flush(TOKENS);
    await signingIn;
    expect(session.signedIn()).toBe(true);
    expect(session.token()).toBe('access-1');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });

  it('restores a session from the cookie once, with one refresh for simultaneous callers', async () => {
    const first = session.restore();
    const second = session.restore();
    const refresh = http.expectOne('/api/v1/auth/refresh');
    expect(refresh.request.body).toEqual({});
    refresh.flush({ ...TOKENS, tenant_id: 't1' });
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(session.tenantId()).toBe('t1');
  });

  it('is signed out when the cookie holds no session', async () => {
    const restoring = session.restore();
    http
      .expectOne('/api/v1/auth/refresh')
      .flush(
        { error: { code: 'invalid_refresh_token', message: 'sign in' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    expect(await restoring).toBe(false);
    expect(session.signedIn()).toBe(false);
    expect(await session.restore()).toBe(false); // no second attempt
  });

  it('sends the token, renews it once when it expired and repeats the call', async () => {
    const signingIn = session.signIn('alice@acme.test', 'pw');
    http.expectOne('/api/v1/auth/login').flush(TOKENS);
    await signingIn;
    const answer = firstValueFrom(TestBed.inject(HttpClient).get('/api/v1/keys'));
    const first = http.expectOne('/api/v1/keys');
    expect(first.request.headers.get('Authorization')).toBe('Bearer access-1');
    first.flush(
      { error: { code: 'token_expired', message: 'expired' } },
      { status: 401, statusText: 'Unauthorized' },
    );
    await Promise.resolve();
    http.expectOne('/api/v1/auth/refresh').flush({ ...TOKENS, access_token: 'access-2' });
    await new Promise((resolve) => setTimeout(resolve));
    const again = http.expectOne('/api/v1/keys');
    expect(again.request.headers.get('Authorization')).toBe('Bearer access-2');
    again.flush({ data: [], next_cursor: null });
    expect(await answer).toEqual({ data: [], next_cursor: null });
  });
});
