import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/**
 * A titled panel on a page (a form such as "Add a budget"): a region named by its heading, `headingId`
 * being the heading's id. The host adds no box of its own (`display: contents`).
 */
@Component({
  selector: 'tp-panel',
  host: { class: 'contents' },
  template: `
    <section
      [attr.aria-labelledby]="headingId()"
      class="mb-8 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 [id]="headingId()" class="mb-3 text-lg font-semibold">{{ heading() }}</h2>
      <ng-content />
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Panel {
  readonly heading = input.required<string>();
  readonly headingId = input.required<string>();
}
