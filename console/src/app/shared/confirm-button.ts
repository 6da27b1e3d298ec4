import { ChangeDetectionStrategy, Component, input, output, signal } from '@angular/core';

/**
 * A button for what cannot be undone (revoke, remove, roll back): a first press asks, a second one
 * ("Confirm …") does it, "Cancel" leaves it. `label` is what the first button says, `name` the
 * accessible name it gets (`Revoke support-bot`), `confirm` the second button's text.
 */
@Component({
  selector: 'tp-confirm-button',
  template: `
    @if (asking()) {
      <button
        type="button"
        (click)="asking.set(false); confirmed.emit()"
        class="rounded-md bg-red-600 px-3 py-1 text-sm text-white hover:bg-red-500"
      >
        {{ confirm() }}
      </button>
      <button type="button" (click)="asking.set(false)" class="ml-2 text-sm underline">Cancel</button>
    } @else {
      <button
        type="button"
        (click)="asking.set(true)"
        [disabled]="disabled()"
        [attr.aria-label]="name() || null"
        class="rounded-md border border-red-300 px-3 py-1 text-sm text-red-700 hover:bg-red-50 disabled:opacity-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
      >
        {{ label() }}
      </button>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ConfirmButton {
  readonly label = input.required<string>();
  readonly name = input('');
  readonly confirm = input.required<string>();
  readonly disabled = input(false);
  readonly confirmed = output<void>();
  protected readonly asking = signal(false);
}
