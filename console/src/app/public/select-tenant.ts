import { ChangeDetectionStrategy, Component, OnInit, inject, input, signal } from '@angular/core';
import { Router, RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../api/errors';
import { AuthApi, TenantChoice } from '../core/auth-api';
import { Profile } from '../core/profile';
import { Session } from '../core/session';
import { Loading } from '../shared/loading';
import { Alert } from '../shared/alert';
import { PublicCard } from './public-card';

@Component({
  selector: 'tp-select-tenant',
  imports: [PublicCard, Alert, RouterLink, Loading],
  template: `
    <tp-public-card title="Choose a tenant">
      @if (error()) {
        <tp-alert>{{ error() }}</tp-alert>
      } @else if (tenants() === null) {
        <tp-loading>Loading your tenants…</tp-loading>
      } @else if (tenants()!.length === 0) {
        <p class="text-sm">
          You are not a member of any tenant yet.
          @if (profile.platformAdmin()) {
            As a platform admin, create tenants in the admin area below.
          } @else {
            Ask an owner or admin of your organisation for an invitation; its e-mail has the link to join.
          }
        </p>
      } @else {
        <ul class="space-y-2">
          @for (tenant of tenants(); track tenant.id) {
            <li>
              <button
                type="button"
                (click)="choose(tenant)"
                class="flex w-full items-center justify-between rounded-md border border-slate-200 px-4 py-3 text-left hover:border-indigo-500 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-700"
              >
                <span class="font-medium">{{ tenant.name }}</span>
                <span class="text-sm text-slate-500 dark:text-slate-400">{{ tenant.role }}</span>
              </button>
            </li>
          }
        </ul>
      }
      @if (profile.platformAdmin()) {
        <p class="mt-6 border-t border-slate-200 pt-4 text-sm dark:border-slate-700">
          <a routerLink="/admin" class="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
            >Platform admin: tenants, users, provider health</a
          >
        </p>
      }
    </tp-public-card>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SelectTenant implements OnInit {
  readonly next = input<string>();
  protected readonly tenants = signal<TenantChoice[] | null>(null);
  protected readonly error = signal('');
  protected readonly profile = inject(Profile);
  private readonly auth = inject(AuthApi);
  private readonly session = inject(Session);
  private readonly router = inject(Router);

  async ngOnInit(): Promise<void> {
    void this.profile.lookUp(); // whether to offer the admin area
    try {
      this.tenants.set(await firstValueFrom(this.auth.tenants()));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  async choose(tenant: TenantChoice): Promise<void> {
    try {
      await this.session.selectTenant(tenant);
      const next = this.next();
      await this.router.navigateByUrl(next?.startsWith('/') ? next : '/overview');
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
