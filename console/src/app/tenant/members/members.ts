import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
import {
  INPUT,
  LABEL,
  PRIMARY_BUTTON,
  SELECT,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Panel } from '../../shared/panel';
import { Invitation, Member, MembersApi, Role } from './members-api';

const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'auditor'];

/** Who belongs to the tenant and with which role; who is invited. Owners and admins change them. */
@Component({
  selector: 'tp-members',
  imports: [ReactiveFormsModule, PageMessages, ConfirmButton, EmptyState, Loading, Panel],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Members</h1>
    @if (access.can('members:write')) {
      <tp-panel headingId="invite" heading="Invite someone">
        <form [formGroup]="form" (ngSubmit)="invite()" class="flex flex-wrap items-end gap-4">
          <div class="min-w-64 flex-1">
            <label for="invite-email" [class]="s.label">E-mail address</label>
            <input
              id="invite-email"
              type="email"
              autocomplete="off"
              formControlName="email"
              placeholder="name@example.com"
              [class]="s.input"
            />
          </div>
          <div class="w-40">
            <label for="invite-role" [class]="s.label">Role</label>
            <select id="invite-role" formControlName="role" [class]="s.select">
              @for (role of grantable(); track role) {
                <option [value]="role">{{ role }}</option>
              }
            </select>
          </div>
          <button type="submit" [disabled]="busy()" [class]="s.button">Send invitation</button>
        </form>
        <p class="mt-2 text-sm text-slate-600 dark:text-slate-300">
          The invitation link is e-mailed; it works once, until the date shown under Expires. Only owners
          invite owners.
        </p>
      </tp-panel>
    } @else {
      <p class="mb-6 text-sm">
        Your role ({{ access.role() ?? 'unknown' }}) reads the members; an owner or admin changes them.
      </p>
    }
    <tp-page-messages [notice]="message()" [error]="error()" />

    <section aria-labelledby="member-list" class="mb-8">
      <h2 id="member-list" class="mb-3 text-lg font-semibold">People in this tenant</h2>
      @if (members() === null) {
        <tp-loading>Loading members…</tp-loading>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              The tenant's members
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Name</th>
                <th scope="col" class="px-4 py-2 font-medium">E-mail address</th>
                <th scope="col" class="px-4 py-2 font-medium">Role</th>
                <th scope="col" class="px-4 py-2 font-medium">Joined</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (member of members(); track member.id) {
                <tr>
                  <td class="px-4 py-2">{{ member.name }}</td>
                  <td class="px-4 py-2">{{ member.email }}</td>
                  <td class="px-4 py-2">
                    @if (maySteer(member)) {
                      <label [for]="'role-' + member.id" class="sr-only">Role of {{ member.email }}</label>
                      <select
                        [id]="'role-' + member.id"
                        [class]="s.select + ' mt-0 w-32'"
                        [disabled]="busy()"
                        (change)="changeRole(member, $any($event.target).value)"
                      >
                        @for (role of grantable(); track role) {
                          <option [value]="role" [selected]="role === member.role">{{ role }}</option>
                        }
                      </select>
                    } @else {
                      {{ member.role }}
                    }
                  </td>
                  <td class="px-4 py-2">{{ utc(member.created_at) }}</td>
                  <td class="px-4 py-2 text-right">
                    @if (maySteer(member)) {
                      <tp-confirm-button
                        label="Remove"
                        [name]="'Remove ' + member.email"
                        [confirm]="'Confirm removing ' + member.email"
                        [disabled]="busy()"
                        (confirmed)="remove(member)"
                      />
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>

    <section aria-labelledby="invitation-list">
      <h2 id="invitation-list" class="mb-3 text-lg font-semibold">Invitations</h2>
      @if (invitations() === null) {
        <tp-loading>Loading invitations…</tp-loading>
      } @else if (invitations()!.length === 0) {
        <tp-empty-state>
          No invitations yet.
          @if (access.can('members:write')) {
            Invite someone above: they get a link by e-mail that makes them a member.
          }
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              Invitations, pending first
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">E-mail address</th>
                <th scope="col" class="px-4 py-2 font-medium">Role</th>
                <th scope="col" class="px-4 py-2 font-medium">Status</th>
                <th scope="col" class="px-4 py-2 font-medium">Sent</th>
                <th scope="col" class="px-4 py-2 font-medium">Expires</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (invitation of invitations(); track invitation.id) {
                <tr>
                  <td class="px-4 py-2">{{ invitation.email }}</td>
                  <td class="px-4 py-2">{{ invitation.role }}</td>
                  <td class="px-4 py-2">{{ invitation.status }}</td>
                  <td class="px-4 py-2">{{ utc(invitation.created_at) }}</td>
                  <td class="px-4 py-2">{{ utc(invitation.expires_at) }}</td>
                  <td class="px-4 py-2 text-right">
                    @if (invitation.status === 'pending' && access.can('members:write')) {
                      <tp-confirm-button
                        label="Revoke"
                        [name]="'Revoke the invitation of ' + invitation.email"
                        [confirm]="'Confirm revoking the invitation of ' + invitation.email"
                        [disabled]="busy()"
                        (confirmed)="revoke(invitation)"
                      />
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Members implements OnInit {
  protected readonly access = inject(Access);
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly utc = formatUtc;
  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    role: ['member' as Role],
  });
  protected readonly members = signal<Member[] | null>(null);
  protected readonly invitations = signal<Invitation[] | null>(null);
  protected readonly message = signal('');
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  /** The roles this person may give: `owner` only with the owner role. */
  protected readonly grantable = computed(() =>
    ROLES.filter(
      (role) => role !== 'owner' || (this.access.role() !== null && this.access.can('owners:write')),
    ),
  );
  private readonly api = inject(MembersApi);

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  /** Whether this person may change or remove `member` (an owner's role only with the owner role). */
  protected maySteer(member: Member): boolean {
    return this.access.can('members:write') && (member.role !== 'owner' || this.access.can('owners:write'));
  }

  async invite(): Promise<void> {
    if (this.form.invalid) {
      this.error.set('Enter the e-mail address of the person to invite.');
      return;
    }
    const { email, role } = this.form.getRawValue();
    await this.act(async () => {
      const created = await firstValueFrom(this.api.invite(email, role));
      this.form.reset();
      return created.email_sent
        ? `Invitation sent to ${created.email} as ${created.role}.`
        : `The invitation of ${created.email} exists, but its mail could not be sent: revoke it and invite again once mail works.`;
    });
  }

  async changeRole(member: Member, role: Role): Promise<void> {
    await this.act(async () => {
      const changed = await firstValueFrom(this.api.changeRole(member.id, role));
      return `${changed.email} is now ${changed.role}.`;
    });
  }

  async remove(member: Member): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.remove(member.id));
      return `${member.email} is no longer a member (their account is kept).`;
    });
  }

  async revoke(invitation: Invitation): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.revoke(invitation.id));
      return `The invitation of ${invitation.email} is revoked: its link no longer works.`;
    });
  }

  /** Runs a change, says what it did (or why not), and reloads the lists either way. */
  private async act(change: () => Promise<string>): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.message.set('');
    try {
      this.message.set(await change());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.members.set(null); // rendered again from the server: a refused role change shows the old role
    } finally {
      this.busy.set(false);
    }
    await this.load();
  }

  private async load(): Promise<void> {
    try {
      const [members, invitations] = await Promise.all([
        firstValueFrom(this.api.list()),
        firstValueFrom(this.api.invitations()),
      ]);
      this.members.set(members.data);
      const order = { pending: 0, accepted: 1, expired: 2, revoked: 3 } as const;
      this.invitations.set(
        [...invitations.data].sort(
          (a, b) => order[a.status] - order[b.status] || b.created_at.localeCompare(a.created_at),
        ),
      );
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.members.set(this.members() ?? []);
      this.invitations.set(this.invitations() ?? []);
    }
  }
}
