import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

import { Access, Permission } from '../core/permissions';
import { Session } from '../core/session';
import { ThemeToggle } from '../shared/theme-toggle';

const AREAS: readonly { path: string; label: string; needs: readonly Permission[] }[] = [
  { path: '/overview', label: 'Overview', needs: ['usage:read'] },
  { path: '/usage', label: 'Usage', needs: ['usage:read'] },
  { path: '/guard', label: 'Guard', needs: ['audit:read', 'reviews:read'] },
  { path: '/keys', label: 'Keys', needs: ['keys:read'] },
  { path: '/members', label: 'Members', needs: ['members:read'] },
  { path: '/webhooks', label: 'Webhooks', needs: ['webhooks:read'] },
  { path: '/credentials', label: 'Credentials', needs: ['credentials:read'] },
  { path: '/routes', label: 'Routes', needs: ['routes:read'] },
  { path: '/budgets', label: 'Budgets', needs: ['budgets:read'] },
  { path: '/audit', label: 'Audit', needs: ['audit:read'] },
  { path: '/settings', label: 'Settings', needs: ['tenant:read'] },
];

/** The frame of a tenant's pages: its name, the areas, switching tenant and signing out. */
@Component({
  selector: 'tp-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, ThemeToggle],
  template: `
    <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
      <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
        <span class="text-lg font-bold tracking-tight">TruePort</span>
        <nav aria-label="Tenant" class="flex flex-wrap gap-1">
          @for (link of links(); track link.path) {
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
          <span class="text-slate-600 dark:text-slate-300" aria-label="Tenant">{{
            session.tenant()?.name ?? ''
          }}</span>
          @if (access.role(); as role) {
            <span
              class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-200"
              >Role: {{ role }}{{ access.readOnly() ? ' · read only' : '' }}</span
            >
          }
          <a
            routerLink="/select-tenant"
            class="rounded-md px-2 py-1 hover:bg-slate-200 dark:hover:bg-slate-800"
            >Switch tenant</a
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
export class Shell {
  protected readonly session = inject(Session);
  protected readonly access = inject(Access);
  /** The areas this role may read (the others would only answer 403). */
  protected readonly links = computed(() =>
    AREAS.filter((area) => area.needs.some((permission) => this.access.can(permission))),
  );
  private readonly router = inject(Router);

  async signOut(): Promise<void> {
    await this.session.signOut().catch(() => undefined);
    await this.router.navigateByUrl('/sign-in');
  }
}
