import { ChangeDetectionStrategy, Component, input, output } from '@angular/core';

import { SECONDARY_BUTTON } from './form-styles';
import { Pager } from './pager';

/**
 * A list's "Previous" / "Page N" / "Next" navigation over a `Pager`, named by `label` ("Pages of users").
 * `moved` is emitted once the pager has moved, for pages that load the new page themselves. The host
 * adds no box of its own (`display: contents`).
 */
@Component({
  selector: 'tp-pager-nav',
  host: { class: 'contents' },
  template: `
    <nav [attr.aria-label]="label()" class="mt-3 flex items-center gap-3 text-sm">
      <button
        type="button"
        [class]="secondary"
        [disabled]="!pager().hasPrevious()"
        (click)="pager().previous(); moved.emit()"
      >
        {{ previousLabel() }}
      </button>
      <span>Page {{ pager().page() }}</span>
      <button
        type="button"
        [class]="secondary"
        [disabled]="!pager().hasNext()"
        (click)="pager().next(); moved.emit()"
      >
        {{ nextLabel() }}
      </button>
    </nav>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PagerNav {
  readonly pager = input.required<Pager>();
  readonly label = input.required<string>();
  readonly previousLabel = input('Previous');
  readonly nextLabel = input('Next');
  readonly moved = output<void>();
  protected readonly secondary = SECONDARY_BUTTON;
}
