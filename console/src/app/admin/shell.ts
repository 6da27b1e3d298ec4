import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

import { Profile } from '../core/profile';
import { Session } from '../core/session';
import { ThemeToggle } from '../shared/theme-toggle';

const PAGES: readonly { path: string; label: string }[] = [
  { path: '/admin/tenants', label: 'Tenants' },
  { path: '/admin/users', label: 'Users' },
  { path: '/admin/providers', label: 'Provider health' },
  { path: '/admin/usage', label: 'Usage' },
  { path: '/admin/billing', label: 'Plans and pricing' },
  { path: '/admin/outbox', label: 'Outbox' },
  { path: '/admin/master-key', label: 'Master key' },
];

/** The frame of the platform admin pages: what the installation's operators manage. */
@Component({
  selector: 'tp-admin-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, ThemeToggle],
  template: `
    <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <span class="text-lg font-bold tracking-tight"
          >TruePort <span class="font-medium text-slate-500 dark:text-slate-400">admin</span></span
        >
        <nav aria-label="Platform admin" class="flex flex-wrap gap-1">
          @for (link of pages; track link.path) {
            <a
              [routerLink]="link.path"
              routerLinkActive="bg-slate-200 dark:bg-slate-800"
              ariaCurrentWhenActive="page"
              class="rounded-md px-3 py-1.5 text-sm font-medium hover:bg-slate-100 dark:hover:bg-slate-800"
              >{{ link.label }}</a
            >
          }
        </nav>
        <div class="ml-auto flex items-center gap-2 text-sm">
          <span class="text-slate-600 dark:text-slate-300">{{ profile.me()?.email ?? '' }}</span>
          <a
            routerLink="/select-tenant"
            class="rounded-md px-2 py-1 hover:bg-slate-200 dark:hover:bg-slate-800"
            >Tenants I belong to</a
          >
          <tp-theme-toggle />
          <button
            type="button"
            (click)="signOut()"
            class="rounded-md px-2 py-1 hover:bg-slate-200 dark:hover:bg-slate-800"
          >
            Sign out
          </button>
        </div>
      </div>
    </header>
    <main class="mx-auto max-w-6xl px-4 py-6">
      <router-outlet />
    </main>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminShell {
  protected readonly pages = PAGES;
  protected readonly profile = inject(Profile);
  private readonly session = inject(Session);
  private readonly router = inject(Router);

  async signOut(): Promise<void> {
    await this.session.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/sign-in');
  }
}
