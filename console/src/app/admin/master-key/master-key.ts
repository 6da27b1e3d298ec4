import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Alert } from '../../shared/alert';
import { ConfirmButton } from '../../shared/confirm-button';
import { MasterKeyApi, Rewrapped } from './master-key-api';

/** Re-wrap the sealed secrets' data keys under the active master key (after rotating master keys). */
@Component({
  selector: 'tp-admin-master-key',
  imports: [Alert, ConfirmButton],
  template: `
    <h1 class="mb-2 text-2xl font-semibold">Master key</h1>
    <section
      aria-labelledby="rewrap"
      class="max-w-3xl rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="rewrap" class="mb-2 text-lg font-semibold">Re-wrap sealed secrets</h2>
      <div class="space-y-2 text-sm text-slate-700 dark:text-slate-200">
        <p>
          Provider credentials and webhook signing secrets are sealed with data keys, themselves wrapped by a
          master key (<code>platform.master_keys</code>). To rotate the master key: add the new key to
          <code>platform.master_keys</code>, make it <code>platform.active_master_key</code>, restart, then
          re-wrap here. Once done, the old key can be removed from the configuration.
        </p>
        <p>The secrets themselves do not change and nothing stops working while it runs.</p>
      </div>
      <div class="mt-4">
        <tp-confirm-button
          label="Re-wrap every sealed secret"
          confirm="Confirm re-wrapping under the active master key"
          [disabled]="busy()"
          (confirmed)="rewrap()"
        />
      </div>
      @if (done(); as done) {
        <div class="mt-4">
          <tp-alert kind="info"
            >{{ done.rewrapped }} sealed secret{{ done.rewrapped === 1 ? '' : 's' }} now wrapped under the
            master key {{ done.active_master_key }}.</tp-alert
          >
        </div>
      }
      @if (error()) {
        <div class="mt-4">
          <tp-alert>{{ error() }}</tp-alert>
        </div>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class MasterKey {
  protected readonly busy = signal(false);
  protected readonly done = signal<Rewrapped | null>(null);
  protected readonly error = signal('');
  private readonly api = inject(MasterKeyApi);

  async rewrap(): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.done.set(null);
    try {
      this.done.set(await firstValueFrom(this.api.rewrap()));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
