import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Profile } from '../../core/profile';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
import { INPUT, LABEL, SECONDARY_BUTTON, TABLE, TABLE_FRAME, TBODY, THEAD } from '../../shared/form-styles';
import { Pager } from '../../shared/pager';
import { PagerNav } from '../../shared/pager-nav';
import { formatUtc } from '../../shared/time-range';
import { AdminUser, UsersApi } from './users-api';

/** Everyone with an account: disable or enable them, make them platform admins or stop. */
@Component({
  selector: 'tp-admin-users',
  imports: [ReactiveFormsModule, PageMessages, ConfirmButton, EmptyState, PagerNav, Loading],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Users</h1>
    <form role="search" [formGroup]="form" (ngSubmit)="search()" class="mb-6 flex flex-wrap items-end gap-3">
      <div class="min-w-64 flex-1">
        <label for="user-search" [class]="s.label">Search by e-mail address or name</label>
        <input id="user-search" type="search" formControlName="search" [class]="s.input" />
      </div>
      <button type="submit" [class]="s.secondary">Search</button>
    </form>
    <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
      A disabled user's sessions end at once and they cannot sign in; their memberships are kept for when they
      are enabled again. The installation always keeps one enabled platform admin.
    </p>
    <tp-page-messages [notice]="message()" [error]="error()" />
    @if (users() === null) {
      <tp-loading>Loading users…</tp-loading>
    } @else if (users()!.length === 0) {
      <tp-empty-state>
        @if (searched()) {
          No user matches “{{ searched() }}”. Try part of the address or the name.
        } @else {
          No users yet: people get an account by accepting an invitation.
        }
      </tp-empty-state>
    } @else {
      <div [class]="s.frame">
        <table [class]="s.table">
          <caption class="sr-only">
            The installation's users, oldest first
          </caption>
          <thead [class]="s.thead">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">E-mail address</th>
              <th scope="col" class="px-4 py-2 font-medium">Name</th>
              <th scope="col" class="px-4 py-2 font-medium">Platform admin</th>
              <th scope="col" class="px-4 py-2 font-medium">Status</th>
              <th scope="col" class="px-4 py-2 font-medium">Created</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody [class]="s.tbody">
            @for (user of users(); track user.id) {
              <tr>
                <th scope="row" class="px-4 py-2 text-left font-medium">
                  {{ user.email }}
                  @if (user.id === profile.me()?.id) {
                    <span class="text-xs font-normal text-slate-500 dark:text-slate-400">(you)</span>
                  }
                </th>
                <td class="px-4 py-2">{{ user.name }}</td>
                <td class="px-4 py-2">{{ user.is_platform_admin ? 'yes' : 'no' }}</td>
                <td class="px-4 py-2">{{ user.disabled ? 'disabled' : 'active' }}</td>
                <td class="px-4 py-2">{{ utc(user.created_at) }}</td>
                <td class="space-x-2 px-4 py-2 text-right whitespace-nowrap">
                  @if (user.is_platform_admin) {
                    <tp-confirm-button
                      label="Revoke platform admin"
                      [name]="'Revoke platform admin of ' + user.email"
                      [confirm]="'Confirm revoking platform admin of ' + user.email"
                      [disabled]="busy()"
                      (confirmed)="setAdmin(user, false)"
                    />
                  } @else {
                    <button
                      type="button"
                      [class]="s.secondary"
                      [disabled]="busy()"
                      [attr.aria-label]="'Grant platform admin to ' + user.email"
                      (click)="setAdmin(user, true)"
                    >
                      Grant platform admin
                    </button>
                  }
                  @if (user.disabled) {
                    <button
                      type="button"
                      [class]="s.secondary"
                      [disabled]="busy()"
                      [attr.aria-label]="'Enable ' + user.email"
                      (click)="setDisabled(user, false)"
                    >
                      Enable
                    </button>
                  } @else if (user.id !== profile.me()?.id) {
                    <tp-confirm-button
                      label="Disable"
                      [name]="'Disable ' + user.email"
                      [confirm]="'Confirm disabling ' + user.email"
                      [disabled]="busy()"
                      (confirmed)="setDisabled(user, true)"
                    />
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      <tp-pager-nav [pager]="pager" label="Pages of users" (moved)="load()" />
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Users implements OnInit {
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly utc = formatUtc;
  protected readonly profile = inject(Profile);
  protected readonly form = inject(NonNullableFormBuilder).group({ search: [''] });
  protected readonly pager = new Pager();
  protected readonly users = signal<AdminUser[] | null>(null);
  /** The search the list shows. */
  protected readonly searched = signal('');
  protected readonly message = signal('');
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(UsersApi);
  private readonly router = inject(Router);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.load(), this.profile.lookUp()]);
  }

  async search(): Promise<void> {
    this.searched.set(this.form.getRawValue().search.trim());
    this.pager.reset();
    await this.load();
  }

  async setDisabled(user: AdminUser, disabled: boolean): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(disabled ? this.api.disable(user.id) : this.api.enable(user.id));
      return disabled
        ? `${user.email} is disabled: their sessions ended and they cannot sign in.`
        : `${user.email} is enabled: they can sign in again.`;
    });
  }

  async setAdmin(user: AdminUser, admin: boolean): Promise<void> {
    if (!admin && user.id === this.profile.me()?.id) {
      // One's own: the admin area closes at once, so leave it rather than show refusals.
      try {
        await firstValueFrom(this.api.revokePlatformAdmin(user.id));
      } catch (error: unknown) {
        this.error.set(apiErrorMessage(error)); // e.g. 409 last_platform_admin
        return;
      }
      await this.profile.reload();
      await this.router.navigateByUrl('/select-tenant');
      return;
    }
    await this.act(async () => {
      await firstValueFrom(
        admin ? this.api.grantPlatformAdmin(user.id) : this.api.revokePlatformAdmin(user.id),
      );
      return admin ? `${user.email} is a platform admin.` : `${user.email} is no longer a platform admin.`;
    });
  }

  async load(): Promise<void> {
    try {
      const page = await firstValueFrom(this.api.list(this.searched(), this.pager.current()));
      this.users.set(page.data);
      this.pager.nextCursor.set(page.next_cursor ?? null);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.users.set(this.users() ?? []);
    }
  }

  /** Runs a change, says what it did (or why not), and reloads the list either way. */
  private async act(change: () => Promise<string>): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.message.set('');
    try {
      this.message.set(await change());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
    await this.load();
  }
}
