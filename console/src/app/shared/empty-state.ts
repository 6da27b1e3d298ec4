import { ChangeDetectionStrategy, Component } from '@angular/core';

/** What an empty list says: why it is empty and what to do about it. */
@Component({
  selector: 'tp-empty-state',
  template: `
    <p class="rounded-lg border border-dashed border-slate-300 p-6 text-sm dark:border-slate-700">
      <ng-content />
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class EmptyState {}
