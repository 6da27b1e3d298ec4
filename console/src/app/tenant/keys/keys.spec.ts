import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { Key, KeysApi } from './keys-api';
import { Keys } from './keys';

const KEY: Key = {
  id: 'k1',
  name: 'support-bot',
  prefix: 'tp_abc',
  models: null,
  rpm_limit: null,
  tpm_limit: null,
  expires_at: null,
  revoked_at: null,
  created_at: '2026-12-07T10:00:00Z',
  created_by: 'someone-else',
  status: 'active',
};

async function render(role: Role): Promise<HTMLElement> {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: KeysApi, useValue: { list: () => of({ data: [KEY], next_cursor: null }) } },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Keys);
  await fixture.whenStable();
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

function buttons(root: HTMLElement): string[] {
  return [...root.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? '');
}

describe('Keys', () => {
  it('offers an auditor no control that changes anything', async () => {
    const root = await render('auditor');
    expect(root.textContent).toContain('support-bot');
    expect(buttons(root)).toEqual([]);
    expect(root.querySelector('input')).toBeNull();
  });

  it('offers a member to create keys, not to revoke another user’s', async () => {
    const root = await render('member');
    expect(buttons(root)).toEqual(['Create key']);
  });

  it('offers an owner to create keys and revoke anyone’s', async () => {
    const root = await render('owner');
    expect(buttons(root)).toEqual(['Create key', 'Revoke']);
  });
});
