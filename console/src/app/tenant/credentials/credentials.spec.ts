import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of, throwError } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { Credential, CredentialsApi, NewCredential } from './credentials-api';
import { Credentials, newCredential } from './credentials';

const CREDENTIAL: Credential = {
  id: 'c1',
  name: 'openai-prod',
  type: 'openai',
  base_url: 'https://api.openai.com/v1',
  api_version: null,
  region: null,
  secret_hint: '…x9Qz',
  master_key_id: 'k1',
  created_at: '2026-12-07T10:00:00Z',
  updated_at: '2026-12-07T10:00:00Z',
};

async function render(role: Role) {
  const sent: NewCredential[] = [];
  const refusal = new HttpErrorResponse({
    status: 409,
    error: { error: { code: 'duplicate_name', message: "a credential named 'openai-prod' exists" } },
  });
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      {
        provide: CredentialsApi,
        useValue: {
          list: () => of({ data: [CREDENTIAL], next_cursor: null }),
          create: (credential: NewCredential) => {
            sent.push(credential);
            return throwError(() => refusal);
          },
        },
      },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Credentials);
  await fixture.whenStable();
  fixture.detectChanges();
  return { fixture, root: fixture.nativeElement as HTMLElement, sent };
}

describe('newCredential', () => {
  it('trims and leaves empty optional fields out as null', () => {
    expect(
      newCredential({
        name: ' oa ',
        type: 'openai',
        base_url: ' https://x.test/v1 ',
        api_key: ' sk key ',
        api_version: '',
        region: ' ',
      }),
    ).toEqual({
      name: 'oa',
      type: 'openai',
      base_url: 'https://x.test/v1',
      api_key: ' sk key ',
      api_version: null,
      region: null,
    });
  });
});

describe('Credentials', () => {
  it('shows an auditor the credentials, never a key, and no control', async () => {
    const { root } = await render('auditor');
    expect(root.textContent).toContain('sealed, ends …x9Qz');
    expect(root.querySelectorAll('button')).toHaveLength(0);
    expect(root.querySelector('input')).toBeNull();
  });

  it('puts a refused name on its field and forgets the key typed', async () => {
    const { fixture, root, sent } = await render('admin');
    for (const [id, value] of [
      ['cred-name', 'openai-prod'],
      ['cred-url', 'https://api.openai.com/v1'],
      ['cred-key', 'sk-typed-secret'],
    ]) {
      const input = root.querySelector<HTMLInputElement>(`#${id}`)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
    root.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    fixture.detectChanges();
    expect(sent[0].api_key).toBe('sk-typed-secret');
    expect(root.querySelector('#cred-name-error')?.textContent?.trim()).toBe(
      "a credential named 'openai-prod' exists",
    );
    expect(root.querySelector('#cred-name')?.getAttribute('aria-invalid')).toBe('true');
    expect(root.querySelector<HTMLInputElement>('#cred-key')!.value).toBe('');
    expect(root.innerHTML).not.toContain('sk-typed-secret');
  });
});
