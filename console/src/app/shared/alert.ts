import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/** A message that something failed (or, with `kind="info"`, that something happened). */
@Component({
  selector: 'tp-alert',
  template: `
    <p
      [attr.role]="kind() === 'error' ? 'alert' : 'status'"
      class="rounded-md px-3 py-2 text-sm"
      [class]="
        kind() === 'error'
          ? 'bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200'
          : 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
      "
    >
      <ng-content />
    </p>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Alert {
  readonly kind = input<'error' | 'info'>('error');
}
