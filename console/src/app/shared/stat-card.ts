import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/**
 * One figure of a dashboard, with what it counts: a `<div>` inside a `<dl>` (an attribute selector,
 * so that the list holds only name-value groups, as assistive technology expects).
 */
@Component({
  selector: 'div[tpStatCard]',
  host: {
    class: 'h-full rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900',
  },
  template: `
    <dt class="text-sm text-slate-500 dark:text-slate-400">{{ label() }}</dt>
    <dd class="mt-1 text-2xl font-semibold tabular-nums" [attr.aria-label]="label()">{{ value() }}</dd>
    @if (hint()) {
      <dd class="mt-1 text-xs text-slate-500 dark:text-slate-400">{{ hint() }}</dd>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class StatCard {
  readonly label = input.required<string>();
  readonly value = input.required<string>();
  readonly hint = input('');
}
