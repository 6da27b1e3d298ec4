import { ChangeDetectionStrategy, Component, input } from '@angular/core';

import { Alert } from './alert';

/**
 * A page's messages above its content: what just happened (`notice`, an info alert) and what failed
 * (`error`, an error alert); each shown only when set. The host adds no box of its own (`display: contents`).
 */
@Component({
  selector: 'tp-page-messages',
  imports: [Alert],
  host: { class: 'contents' },
  template: `
    @if (notice()) {
      <div class="mb-4">
        <tp-alert kind="info">{{ notice() }}</tp-alert>
      </div>
    }
    @if (error()) {
      <div class="mb-4">
        <tp-alert>{{ error() }}</tp-alert>
      </div>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PageMessages {
  readonly notice = input<string | null | undefined>('');
  readonly error = input<string | null | undefined>('');
}
