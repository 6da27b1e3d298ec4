import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { FormErrors, formErrors } from '../../api/field-errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
import { FieldError } from '../../shared/field-error';
import {
  INPUT,
  LABEL,
  PRIMARY_BUTTON,
  SECONDARY_BUTTON,
  SELECT,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Panel } from '../../shared/panel';
import { Credential, CredentialsApi, NewCredential, PROVIDER_TYPES, ProviderType } from './credentials-api';

const FIELDS = ['name', 'type', 'base_url', 'api_key', 'api_version', 'region'];
const NO_ERRORS: FormErrors = { fields: {}, other: '' };

/** The credential as the API takes it: empty optional fields left out. */
export function newCredential(form: {
  name: string;
  type: ProviderType;
  base_url: string;
  api_key: string;
  api_version: string;
  region: string;
}): NewCredential {
  return {
    name: form.name.trim(),
    type: form.type,
    base_url: form.base_url.trim(),
    api_key: form.api_key,
    api_version: form.api_version.trim() || null,
    region: form.region.trim() || null,
  };
}

/**
 * Provider credentials (bring your own key): what routes name as their `provider`. The API never
 * returns a key, and this page never shows one: a key typed here is sent once and the field emptied.
 */
@Component({
  selector: 'tp-credentials',
  imports: [ReactiveFormsModule, Alert, PageMessages, ConfirmButton, EmptyState, FieldError, Loading, Panel],
  template: `
    <h1 class="mb-2 text-2xl font-semibold">Provider credentials</h1>
    <p class="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-300">
      The tenant's own accounts at LLM providers. A route names one as its provider; its API key is sealed
      under the installation's master key and never shown again, here or through the API.
    </p>
    @if (access.can('credentials:write')) {
      <tp-panel headingId="new-credential" heading="Add a credential">
        <form [formGroup]="form" (ngSubmit)="create()" class="grid gap-4 md:grid-cols-3">
          <div>
            <label for="cred-name" [class]="styles.label">Name</label>
            <input
              id="cred-name"
              formControlName="name"
              placeholder="e.g. openai-prod"
              [attr.aria-invalid]="!!errors().fields['name']"
              aria-describedby="cred-name-error"
              [class]="styles.input"
            />
            <tp-field-error id="cred-name-error" [message]="errors().fields['name']" />
          </div>
          <div>
            <label for="cred-type" [class]="styles.label">Provider</label>
            <select id="cred-type" formControlName="type" [class]="styles.select">
              @for (type of types; track type.value) {
                <option [value]="type.value">{{ type.label }}</option>
              }
            </select>
            <tp-field-error id="cred-type-error" [message]="errors().fields['type']" />
          </div>
          <div>
            <label for="cred-url" [class]="styles.label">Base URL</label>
            <input
              id="cred-url"
              formControlName="base_url"
              placeholder="https://api.openai.com/v1"
              [attr.aria-invalid]="!!errors().fields['base_url']"
              aria-describedby="cred-url-error"
              [class]="styles.input"
            />
            <tp-field-error id="cred-url-error" [message]="errors().fields['base_url']" />
          </div>
          <div>
            <label for="cred-key" [class]="styles.label">API key</label>
            <input
              id="cred-key"
              type="password"
              autocomplete="off"
              formControlName="api_key"
              [attr.aria-invalid]="!!errors().fields['api_key']"
              aria-describedby="cred-key-error"
              [class]="styles.input"
            />
            <tp-field-error id="cred-key-error" [message]="errors().fields['api_key']" />
          </div>
          <div>
            <label for="cred-version" [class]="styles.label">API version (Azure only)</label>
            <input
              id="cred-version"
              formControlName="api_version"
              placeholder="2024-10-21"
              [attr.aria-invalid]="!!errors().fields['api_version']"
              aria-describedby="cred-version-error"
              [class]="styles.input"
            />
            <tp-field-error id="cred-version-error" [message]="errors().fields['api_version']" />
          </div>
          <div>
            <label for="cred-region" [class]="styles.label">Region (optional)</label>
            <input
              id="cred-region"
              formControlName="region"
              placeholder="e.g. eu-west-1"
              [attr.aria-invalid]="!!errors().fields['region']"
              aria-describedby="cred-region-error"
              [class]="styles.input"
            />
            <tp-field-error id="cred-region-error" [message]="errors().fields['region']" />
          </div>
          <div class="md:col-span-3">
            @if (errors().other) {
              <div class="mb-3">
                <tp-alert>{{ errors().other }}</tp-alert>
              </div>
            }
            <button type="submit" [disabled]="busy()" [class]="styles.button">Add credential</button>
          </div>
        </form>
      </tp-panel>
    }
    <tp-page-messages [notice]="notice()" [error]="error()" />
    @if (credentials() === null) {
      <tp-loading>Loading credentials…</tp-loading>
    } @else if (credentials()!.length === 0) {
      <tp-empty-state>
        This tenant has no provider credentials: its calls use the providers the installation shares.
        @if (access.can('credentials:write')) {
          Add one above to bring the tenant's own provider account, then name it in a route.
        } @else {
          Owners and admins add them.
        }
      </tp-empty-state>
    } @else {
      <div [class]="styles.frame">
        <table [class]="styles.table">
          <caption class="sr-only">
            The tenant's provider credentials
          </caption>
          <thead [class]="styles.thead">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">Name</th>
              <th scope="col" class="px-4 py-2 font-medium">Provider</th>
              <th scope="col" class="px-4 py-2 font-medium">Base URL</th>
              <th scope="col" class="px-4 py-2 font-medium">Region</th>
              <th scope="col" class="px-4 py-2 font-medium">API key</th>
              <th scope="col" class="px-4 py-2 font-medium">Updated</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody [class]="styles.tbody">
            @for (credential of credentials(); track credential.id) {
              <tr>
                <td class="px-4 py-2 font-mono">{{ credential.name }}</td>
                <td class="px-4 py-2">{{ credential.type }}</td>
                <td class="px-4 py-2 break-all">{{ credential.base_url }}</td>
                <td class="px-4 py-2">{{ credential.region ?? '—' }}</td>
                <td class="px-4 py-2">
                  sealed{{ credential.secret_hint ? ', ends ' + credential.secret_hint : '' }}
                </td>
                <td class="px-4 py-2 whitespace-nowrap">{{ utc(credential.updated_at) }}</td>
                <td class="px-4 py-2 text-right whitespace-nowrap">
                  @if (access.can('credentials:write')) {
                    <button
                      type="button"
                      (click)="startRotation(credential)"
                      [attr.aria-label]="'Rotate key of ' + credential.name"
                      [class]="styles.secondary"
                    >
                      Rotate key
                    </button>
                    <span class="ml-2">
                      <tp-confirm-button
                        label="Delete"
                        [name]="'Delete ' + credential.name"
                        [confirm]="'Confirm deleting ' + credential.name"
                        (confirmed)="remove(credential)"
                      />
                    </span>
                  }
                </td>
              </tr>
              @if (rotating() === credential.id) {
                <tr>
                  <td colspan="7" class="bg-slate-50 px-4 py-3 dark:bg-slate-900">
                    <form
                      [formGroup]="rotation"
                      (ngSubmit)="rotate(credential)"
                      class="flex flex-wrap items-end gap-3"
                    >
                      <div class="min-w-72 flex-1">
                        <label for="rotate-key" [class]="styles.label"
                          >New API key for {{ credential.name }}</label
                        >
                        <input
                          id="rotate-key"
                          type="password"
                          autocomplete="off"
                          formControlName="key"
                          [class]="styles.input"
                        />
                      </div>
                      <button type="submit" [disabled]="busy()" [class]="styles.button">Save new key</button>
                      <button type="button" (click)="rotating.set(null)" class="text-sm underline">
                        Cancel
                      </button>
                    </form>
                    <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">
                      Calls in flight finish with the old key; new calls use the new one as soon as it is
                      saved. Revoke the old key at the provider afterwards.
                    </p>
                  </td>
                </tr>
              }
            }
          </tbody>
        </table>
      </div>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Credentials implements OnInit {
  protected readonly access = inject(Access);
  protected readonly types = PROVIDER_TYPES;
  protected readonly utc = formatUtc;
  protected readonly styles = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    name: [''],
    type: ['openai' as ProviderType],
    base_url: [''],
    api_key: [''],
    api_version: [''],
    region: [''],
  });
  protected readonly rotation = this.fb.group({ key: [''] });
  protected readonly credentials = signal<Credential[] | null>(null);
  protected readonly rotating = signal<string | null>(null);
  protected readonly errors = signal<FormErrors>(NO_ERRORS);
  protected readonly error = signal('');
  protected readonly notice = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(CredentialsApi);

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  async create(): Promise<void> {
    this.busy.set(true);
    this.errors.set(NO_ERRORS);
    this.notice.set('');
    try {
      const created = await firstValueFrom(this.api.create(newCredential(this.form.getRawValue())));
      this.form.reset();
      this.notice.set(`Added ${created.name}. Name it as the provider of a route to use it.`);
      await this.load();
    } catch (error: unknown) {
      this.form.controls.api_key.setValue('');
      this.errors.set(formErrors(error, FIELDS, { duplicate_name: 'name', unsafe_base_url: 'base_url' }));
    } finally {
      this.busy.set(false);
    }
  }

  startRotation(credential: Credential): void {
    this.rotation.reset();
    this.rotating.set(credential.id);
  }

  async rotate(credential: Credential): Promise<void> {
    const key = this.rotation.getRawValue().key;
    if (!key) {
      this.error.set(`Type the new API key of ${credential.name} first.`);
      return;
    }
    this.busy.set(true);
    this.error.set('');
    try {
      await firstValueFrom(this.api.update(credential.id, { api_key: key }));
      this.notice.set(`The key of ${credential.name} is replaced.`);
      this.rotating.set(null);
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.rotation.reset();
      this.busy.set(false);
    }
  }

  async remove(credential: Credential): Promise<void> {
    this.error.set('');
    try {
      await firstValueFrom(this.api.remove(credential.id));
      this.notice.set(`Deleted ${credential.name}.`);
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async load(): Promise<void> {
    try {
      this.credentials.set((await firstValueFrom(this.api.list())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.credentials.set(this.credentials() ?? []);
    }
  }
}
