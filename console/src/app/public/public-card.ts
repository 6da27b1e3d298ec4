import { ChangeDetectionStrategy, Component, input } from '@angular/core';

import { ThemeToggle } from '../shared/theme-toggle';

/** The frame of the pages before a tenant is chosen: the product's name, a title, one card. */
@Component({
  selector: 'tp-public-card',
  imports: [ThemeToggle],
  template: `
    <main class="mx-auto flex min-h-screen max-w-md flex-col justify-center px-4 py-12">
      <div class="mb-6 flex items-center justify-between">
        <span class="text-lg font-bold tracking-tight">TruePort</span>
        <tp-theme-toggle />
      </div>
      <section
        class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900"
      >
        <h1 class="mb-4 text-xl font-semibold">{{ title() }}</h1>
        <ng-content />
      </section>
    </main>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PublicCard {
  readonly title = input.required<string>();
}
