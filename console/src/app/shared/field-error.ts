import { ChangeDetectionStrategy, Component, input } from '@angular/core';

/**
 * The server's word on one field, under it: give the input `[attr.aria-describedby]` with the same
 * `id` and `[attr.aria-invalid]` so that assistive technology reads it with the field.
 */
@Component({
  selector: 'tp-field-error',
  template: `
    @if (message()) {
      <p [id]="id()" class="mt-1 text-sm text-red-700 dark:text-red-300">{{ message() }}</p>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class FieldError {
  readonly id = input.required<string>();
  readonly message = input<string | undefined>('');
}
