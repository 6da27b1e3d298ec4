import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { CopyButton } from '../../shared/copy-button';
import { INPUT, LABEL, PRIMARY_BUTTON } from '../../shared/form-styles';
import { Panel } from '../../shared/panel';
import { Access } from '../../core/permissions';
import { CreatedKey, Key, KeysApi } from './keys-api';

@Component({
  selector: 'tp-keys',
  imports: [ReactiveFormsModule, PageMessages, ConfirmButton, CopyButton, Loading, Panel],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Keys</h1>
    @if (access.can('keys:write')) {
      <tp-panel headingId="new-key" heading="Create a key">
        <form [formGroup]="form" (ngSubmit)="create()" class="flex flex-wrap items-end gap-4">
          <div class="min-w-64 flex-1">
            <label for="key-name" [class]="styles.label">Name</label>
            <input
              id="key-name"
              formControlName="name"
              placeholder="e.g. support-bot production"
              [class]="styles.input"
            />
          </div>
          <div class="w-40">
            <label for="key-rpm" [class]="styles.label">Requests per minute</label>
            <input
              id="key-rpm"
              type="number"
              min="1"
              formControlName="rpm"
              placeholder="no limit"
              [class]="styles.input"
            />
          </div>
          <button type="submit" [disabled]="busy()" [class]="styles.button">Create key</button>
        </form>
        @if (created(); as key) {
          <div
            class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
            role="status"
          >
            <p class="mb-2 text-sm font-medium">
              The secret of “{{ key.name || key.prefix }}”. Store it now: it is shown only this once.
            </p>
            <div class="flex flex-wrap items-center gap-2">
              <code
                aria-label="Secret"
                class="break-all rounded bg-white px-2 py-1 font-mono text-sm dark:bg-slate-900"
                >{{ key.secret }}</code
              >
              <tp-copy-button [text]="key.secret" label="Copy secret" />
              <button type="button" (click)="created.set(null)" class="text-sm underline">Done</button>
            </div>
          </div>
        }
      </tp-panel>
    }
    <tp-page-messages [error]="error()" />
    @if (keys() === null) {
      <tp-loading>Loading keys…</tp-loading>
    } @else if (keys()!.length === 0) {
      <p class="rounded-lg border border-dashed border-slate-300 p-6 text-sm dark:border-slate-700">
        This tenant has no keys yet.
        @if (access.can('keys:write')) {
          Create one above; applications send it as their API key to the gateway.
        } @else {
          Your role in this tenant ({{ access.role() }}) reads keys but cannot create them: ask an owner or
          admin.
        }
      </p>
    } @else {
      <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
        <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
          <caption class="sr-only">
            The tenant's keys
          </caption>
          <thead class="bg-slate-100 text-left dark:bg-slate-900">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">Name</th>
              <th scope="col" class="px-4 py-2 font-medium">Prefix</th>
              <th scope="col" class="px-4 py-2 font-medium">Status</th>
              <th scope="col" class="px-4 py-2 font-medium">Created</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody class="divide-y divide-slate-200 bg-white dark:divide-slate-800 dark:bg-slate-950">
            @for (key of keys(); track key.id) {
              <tr>
                <td class="px-4 py-2">{{ key.name || '—' }}</td>
                <td class="px-4 py-2 font-mono">{{ key.prefix }}…</td>
                <td class="px-4 py-2">{{ key.status }}</td>
                <td class="px-4 py-2">{{ key.created_at.slice(0, 16).replace('T', ' ') }} UTC</td>
                <td class="px-4 py-2 text-right">
                  @if (key.status === 'active' && access.maySteerKey(key)) {
                    <tp-confirm-button
                      label="Revoke"
                      [name]="'Revoke ' + (key.name || key.prefix)"
                      [confirm]="'Confirm revoking ' + (key.name || key.prefix)"
                      (confirmed)="revoke(key)"
                    />
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
      </div>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Keys implements OnInit {
  protected readonly access = inject(Access);
  protected readonly styles = { input: INPUT, label: LABEL, button: PRIMARY_BUTTON };
  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', Validators.maxLength(200)],
    rpm: [null as number | null, Validators.min(1)],
  });
  protected readonly keys = signal<Key[] | null>(null);
  protected readonly created = signal<CreatedKey | null>(null);
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(KeysApi);

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  async create(): Promise<void> {
    if (!this.access.can('keys:write')) {
      return;
    }
    if (this.form.invalid) {
      this.error.set('A name has at most 200 characters, and a limit is at least 1 request per minute.');
      return;
    }
    this.busy.set(true);
    this.error.set('');
    try {
      const { name, rpm } = this.form.getRawValue();
      this.created.set(await firstValueFrom(this.api.create({ name, rpm_limit: rpm || null })));
      this.form.reset();
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  async revoke(key: Key): Promise<void> {
    try {
      await firstValueFrom(this.api.revoke(key.id));
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async load(): Promise<void> {
    try {
      this.keys.set((await firstValueFrom(this.api.list())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.keys.set(this.keys() ?? []);
    }
  }
}
