import { ChangeDetectionStrategy, Component } from '@angular/core';

/** What a page or list says while it loads (`<tp-loading>Loading budgets…</tp-loading>`), as a status. */
@Component({
  selector: 'tp-loading',
  host: { class: 'contents' },
  template: `<p role="status" class="text-sm text-slate-500 dark:text-slate-400"><ng-content /></p>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Loading {}
