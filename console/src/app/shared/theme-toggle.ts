import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { Theme } from '../core/theme';

@Component({
  selector: 'tp-theme-toggle',
  template: `
    <button
      type="button"
      (click)="theme.toggle()"
      [attr.aria-pressed]="theme.current() === 'dark'"
      class="rounded-md px-2 py-1 text-sm hover:bg-slate-200 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:hover:bg-slate-800"
    >
      Dark theme
    </button>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ThemeToggle {
  protected readonly theme = inject(Theme);
}
