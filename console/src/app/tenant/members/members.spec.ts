import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { Invitation, Member, MembersApi } from './members-api';
import { Members } from './members';

const OWNER: Member = {
  id: 'm1',
  user_id: 'u1',
  email: 'olivia@acme.test',
  name: 'Olivia',
  role: 'owner',
  created_at: '2026-12-01T10:00:00Z',
};
const MEMBER: Member = {
  ...OWNER,
  id: 'm2',
  user_id: 'u2',
  email: 'frank@acme.test',
  name: 'Frank',
  role: 'member',
};
const PENDING: Invitation = {
  id: 'i1',
  email: 'nina@acme.test',
  role: 'member',
  status: 'pending',
  invited_by: 'u1',
  created_at: '2026-12-06T10:00:00Z',
  expires_at: '2026-12-13T10:00:00Z',
  accepted_at: null,
  revoked_at: null,
};

async function render(role: Role, calls: string[] = []) {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      {
        provide: MembersApi,
        useValue: {
          list: () => of({ data: [OWNER, MEMBER], next_cursor: null }),
          invitations: () =>
            of({ data: [{ ...PENDING, id: 'i0', status: 'revoked' }, PENDING], next_cursor: null }),
          changeRole: (id: string, to: string) => {
            calls.push(`role ${id} ${to}`);
            return of({ ...MEMBER, role: to });
          },
          invite: (email: string, to: string) => {
            calls.push(`invite ${email} ${to}`);
            return of({ ...PENDING, email, role: to, email_sent: true });
          },
        },
      },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Members);
  await fixture.whenStable();
  fixture.detectChanges();
  return { fixture, root: fixture.nativeElement as HTMLElement };
}

function buttons(root: HTMLElement): string[] {
  return [...root.querySelectorAll('button')].map(
    (b) => b.getAttribute('aria-label') ?? b.textContent?.trim() ?? '',
  );
}

describe('Members', () => {
  it('shows an auditor members and invitations, and no control that changes them', async () => {
    const { root } = await render('auditor');
    expect(root.textContent).toContain('frank@acme.test');
    expect(root.textContent).toContain('nina@acme.test');
    expect(buttons(root)).toEqual([]);
    expect(root.querySelector('input, select')).toBeNull();
  });

  it('lets an admin steer members and pending invitations, but not owners nor give the owner role', async () => {
    const { root } = await render('admin');
    expect(buttons(root)).toEqual([
      'Send invitation',
      'Remove frank@acme.test',
      'Revoke the invitation of nina@acme.test',
    ]);
    const roles = [...root.querySelectorAll<HTMLOptionElement>('#invite-role option')].map((o) => o.value);
    expect(roles).toEqual(['admin', 'member', 'auditor']);
    expect(root.querySelector('#role-m1')).toBeNull();
  });

  it('lets an owner change a role and invite, saying what happened', async () => {
    const calls: string[] = [];
    const { fixture, root } = await render('owner', calls);
    const select = root.querySelector<HTMLSelectElement>('#role-m2')!;
    select.value = 'admin';
    select.dispatchEvent(new Event('change'));
    await fixture.whenStable();
    fixture.detectChanges();
    expect(root.querySelector('[role="status"]')?.textContent).toContain('frank@acme.test is now admin.');
    const email = root.querySelector<HTMLInputElement>('#invite-email')!;
    email.value = 'ivan@acme.test';
    email.dispatchEvent(new Event('input'));
    root.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    fixture.detectChanges();
    expect(calls).toEqual(['role m2 admin', 'invite ivan@acme.test member']);
    expect(root.querySelector('[role="status"]')?.textContent).toContain('Invitation sent to ivan@acme.test');
  });
});
