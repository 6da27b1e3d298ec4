import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';

import { Access } from '../../core/permissions';

/** The guard area: what it found (violations), what waits for a person (the review queue), and its policy. */
@Component({
  selector: 'tp-guard',
  imports: [RouterOutlet, RouterLink, RouterLinkActive],
  template: `
    <h1 class="mb-4 text-2xl font-semibold">Guard</h1>
    <nav aria-label="Guard" class="mb-6 flex gap-1 border-b border-slate-200 dark:border-slate-800">
      @if (access.can('audit:read')) {
        <a
          routerLink="violations"
          routerLinkActive="border-indigo-600 text-indigo-700 dark:text-indigo-300"
          ariaCurrentWhenActive="page"
          class="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium"
          >Violations</a
        >
      }
      @if (access.can('reviews:read')) {
        <a
          routerLink="reviews"
          routerLinkActive="border-indigo-600 text-indigo-700 dark:text-indigo-300"
          ariaCurrentWhenActive="page"
          class="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium"
          >Review queue</a
        >
      }
      @if (access.can('tenant:read')) {
        <a
          routerLink="policy"
          routerLinkActive="border-indigo-600 text-indigo-700 dark:text-indigo-300"
          ariaCurrentWhenActive="page"
          class="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium"
          >Policy</a
        >
      }
    </nav>
    @if (access.role() !== null && !access.can('audit:read') && !access.can('reviews:read')) {
      <p class="text-sm">
        Your role ({{ access.role() }}) cannot read the guard's findings: ask an owner, admin or auditor.
      </p>
    }
    <router-outlet />
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Guard {
  protected readonly access = inject(Access);
}
