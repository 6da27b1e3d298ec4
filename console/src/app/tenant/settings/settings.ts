import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { FormErrors, formErrors } from '../../api/field-errors';
import { Access } from '../../core/permissions';
import { Session } from '../../core/session';
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
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { Flag, SettingsApi, TenantSettings } from './settings-api';
import { flagState, parseRegions, parseSettingValue, showValue } from './settings-text';

const NO_ERRORS: FormErrors = { fields: {}, other: '' };
const CARD = 'mb-8 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900';

/** The tenant's settings: region pinning, feature flags (rules per tenant) and free-form settings. */
@Component({
  selector: 'tp-settings',
  imports: [ReactiveFormsModule, Alert, PageMessages, ConfirmButton, EmptyState, FieldError, Loading],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Settings</h1>
    <tp-page-messages [notice]="notice()" [error]="error()" />

    <section aria-labelledby="regions-title" [class]="card">
      <h2 id="regions-title" class="mb-1 text-lg font-semibold">Region pinning</h2>
      <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
        When pinned, every call of the tenant is served only by providers in these regions, failover included;
        a call no allowed provider can serve is refused (403 region_unavailable).
      </p>
      <p class="mb-3 text-sm" role="status">
        @if (regions() === undefined) {
          Loading…
        } @else if (regions() === null) {
          Not pinned: calls may go to any region.
        } @else {
          Pinned to <strong>{{ regions()!.join(', ') }}</strong>.
        }
      </p>
      @if (canWrite()) {
        <form [formGroup]="regionsForm" (ngSubmit)="pin()" class="flex flex-wrap items-start gap-3">
          <div class="min-w-72 flex-1">
            <label for="regions" [class]="styles.label"
              >Allowed regions (comma-separated; blank: not pinned)</label
            >
            <input
              id="regions"
              formControlName="regions"
              placeholder="e.g. eu-west-1, westeurope"
              [attr.aria-invalid]="!!regionErrors().fields['allowed_regions']"
              aria-describedby="regions-error"
              [class]="styles.input"
            />
            <tp-field-error
              id="regions-error"
              [message]="regionErrors().fields['allowed_regions'] || regionErrors().other"
            />
          </div>
          <button type="submit" [disabled]="busy()" class="mt-6" [class]="styles.button">Save regions</button>
        </form>
      }
    </section>

    <section aria-labelledby="flags-title" [class]="card">
      <h2 id="flags-title" class="mb-1 text-lg font-semibold">Feature flags</h2>
      <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
        The tenant's rule, when it has one, wins over the installation's. A share of keys is chosen by stable
        hashing of the key id, so a key keeps its answer as the share grows.
      </p>
      @if (flags() === null) {
        <tp-loading>Loading flags…</tp-loading>
      } @else if (flags()!.length === 0) {
        <tp-empty-state>This installation defines no feature flags.</tp-empty-state>
      } @else {
        <div [class]="styles.frame">
          <table [class]="styles.table">
            <caption class="sr-only">
              Feature flags
            </caption>
            <thead [class]="styles.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Flag</th>
                <th scope="col" class="px-4 py-2 font-medium">For this tenant</th>
                @if (canWrite()) {
                  <th scope="col" class="px-4 py-2 font-medium">Tenant rule</th>
                }
              </tr>
            </thead>
            <tbody [class]="styles.tbody">
              @for (flag of flags(); track flag.name) {
                <tr>
                  <td class="px-4 py-2 align-top">
                    <span class="font-mono">{{ flag.name }}</span>
                    <p class="text-xs text-slate-500 dark:text-slate-400">{{ flag.description }}</p>
                  </td>
                  <td class="px-4 py-2 align-top">
                    {{ state(flag).text }}
                    <p class="text-xs text-slate-500 dark:text-slate-400">by {{ state(flag).source }}</p>
                  </td>
                  @if (canWrite()) {
                    <td class="px-4 py-2 align-top">
                      <div class="flex flex-wrap items-center gap-2">
                        <label class="flex items-center gap-1 text-sm">
                          <input
                            type="checkbox"
                            [checked]="flag.tenant?.enabled ?? false"
                            [attr.aria-label]="'Turn ' + flag.name + ' on'"
                            #enabled
                            class="h-4 w-4"
                          />
                          On
                        </label>
                        <label class="flex items-center gap-1 text-sm">
                          Share of keys (%)
                          <input
                            type="number"
                            min="0"
                            max="100"
                            [value]="flag.tenant?.percent ?? 100"
                            [attr.aria-label]="'Share of keys for ' + flag.name + ' (%)'"
                            #percent
                            class="w-20 rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
                          />
                        </label>
                        <button
                          type="button"
                          (click)="setFlag(flag, enabled.checked, +percent.value)"
                          [attr.aria-label]="'Save the rule of ' + flag.name"
                          [class]="styles.secondary"
                        >
                          Save
                        </button>
                        @if (flag.tenant) {
                          <button
                            type="button"
                            (click)="clearFlag(flag)"
                            [attr.aria-label]="'Use the installation’s rule for ' + flag.name"
                            class="text-sm underline"
                          >
                            Use the installation’s rule
                          </button>
                        }
                      </div>
                    </td>
                  }
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>

    <section aria-labelledby="settings-title" [class]="card">
      <h2 id="settings-title" class="mb-1 text-lg font-semibold">Tenant settings</h2>
      <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
        Named values the tenant's integrations read through the API (at most 100).
        @if (settings()?.updated_at; as at) {
          Last changed {{ at.slice(0, 16).replace('T', ' ') }} UTC.
        }
      </p>
      @if (entries().length === 0) {
        <tp-empty-state>
          No settings yet.
          @if (canWrite()) {
            Add one below: a name in lower case (e.g. <code>support.contact</code>) and any JSON value.
          }
        </tp-empty-state>
      } @else {
        <div [class]="styles.frame">
          <table [class]="styles.table">
            <caption class="sr-only">
              Tenant settings
            </caption>
            <thead [class]="styles.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Name</th>
                <th scope="col" class="px-4 py-2 font-medium">Value</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="styles.tbody">
              @for (entry of entries(); track entry.name) {
                <tr>
                  <td class="px-4 py-2 font-mono">{{ entry.name }}</td>
                  <td class="px-4 py-2 font-mono break-all">{{ entry.value }}</td>
                  <td class="px-4 py-2 text-right">
                    @if (canWrite()) {
                      <tp-confirm-button
                        label="Delete"
                        [name]="'Delete the setting ' + entry.name"
                        [confirm]="'Confirm deleting ' + entry.name"
                        (confirmed)="removeSetting(entry.name)"
                      />
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
      @if (canWrite()) {
        <form
          [formGroup]="settingForm"
          (ngSubmit)="saveSetting()"
          class="mt-4 flex flex-wrap items-start gap-3"
        >
          <div class="w-64">
            <label for="setting-name" [class]="styles.label">Setting name</label>
            <input
              id="setting-name"
              formControlName="name"
              placeholder="e.g. support.contact"
              [attr.aria-invalid]="!!settingErrors().fields['name']"
              aria-describedby="setting-name-error"
              [class]="styles.input"
            />
            <tp-field-error id="setting-name-error" [message]="settingErrors().fields['name']" />
          </div>
          <div class="min-w-64 flex-1">
            <label for="setting-value" [class]="styles.label">Value (JSON, or plain text)</label>
            <input
              id="setting-value"
              formControlName="value"
              placeholder='e.g. "ops@acme.test" or 42'
              [class]="styles.input"
            />
          </div>
          <button type="submit" [disabled]="busy()" class="mt-6" [class]="styles.button">Save setting</button>
        </form>
        @if (settingErrors().other) {
          <div class="mt-2">
            <tp-alert>{{ settingErrors().other }}</tp-alert>
          </div>
        }
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Settings implements OnInit {
  protected readonly card = CARD;
  protected readonly styles = {
    input: INPUT,
    label: LABEL,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  private readonly access = inject(Access);
  private readonly session = inject(Session);
  protected readonly canWrite = computed(() => this.access.can('tenant:write'));
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly regionsForm = this.fb.group({ regions: [''] });
  protected readonly settingForm = this.fb.group({ name: [''], value: [''] });
  protected readonly regions = signal<string[] | null | undefined>(undefined);
  protected readonly flags = signal<Flag[] | null>(null);
  protected readonly settings = signal<TenantSettings | null>(null);
  protected readonly entries = computed(() =>
    Object.entries(this.settings()?.settings ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value: showValue(value) })),
  );
  protected readonly regionErrors = signal<FormErrors>(NO_ERRORS);
  protected readonly settingErrors = signal<FormErrors>(NO_ERRORS);
  protected readonly error = signal('');
  protected readonly notice = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(SettingsApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.loadRegions(), this.loadFlags(), this.loadSettings()]);
  }

  state(flag: Flag) {
    return flagState(flag, this.session.tenantId());
  }

  async pin(): Promise<void> {
    this.busy.set(true);
    this.regionErrors.set(NO_ERRORS);
    this.notice.set('');
    try {
      const saved = await firstValueFrom(
        this.api.pinRegions(parseRegions(this.regionsForm.getRawValue().regions)),
      );
      this.regions.set(saved.allowed_regions ?? null);
      this.regionsForm.controls.regions.setValue((saved.allowed_regions ?? []).join(', '));
      this.notice.set(saved.allowed_regions ? 'Region pinning saved.' : 'Region pinning removed.');
    } catch (error: unknown) {
      this.regionErrors.set(formErrors(error, ['allowed_regions']));
    } finally {
      this.busy.set(false);
    }
  }

  async setFlag(flag: Flag, enabled: boolean, percent: number): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.setFlag(flag.name, { enabled, percent, keys: flag.tenant?.keys ?? [] }));
      this.notice.set(`Saved the tenant's rule for ${flag.name}.`);
      await this.loadFlags();
    });
  }

  async clearFlag(flag: Flag): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.clearFlag(flag.name));
      this.notice.set(`${flag.name} follows the installation's rule again.`);
      await this.loadFlags();
    });
  }

  async saveSetting(): Promise<void> {
    const { name, value } = this.settingForm.getRawValue();
    this.busy.set(true);
    this.settingErrors.set(NO_ERRORS);
    this.notice.set('');
    try {
      this.settings.set(
        await firstValueFrom(
          this.api.patch({ settings: { [name.trim()]: parseSettingValue(value) as never } }),
        ),
      );
      this.settingForm.reset();
      this.notice.set(`Saved the setting ${name.trim()}.`);
    } catch (error: unknown) {
      const placed = formErrors(error, ['settings']);
      this.settingErrors.set(
        placed.fields['settings']
          ? {
              fields: { name: `${placed.fields['settings']} (a name is lower case: letters, digits, _ . -)` },
              other: '',
            }
          : placed,
      );
    } finally {
      this.busy.set(false);
    }
  }

  async removeSetting(name: string): Promise<void> {
    await this.act(async () => {
      this.settings.set(await firstValueFrom(this.api.patch({ settings: { [name]: null } })));
      this.notice.set(`Deleted the setting ${name}.`);
    });
  }

  private async act(call: () => Promise<void>): Promise<void> {
    this.error.set('');
    this.notice.set('');
    try {
      await call();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async loadRegions(): Promise<void> {
    try {
      const answer = await firstValueFrom(this.api.regions());
      this.regions.set(answer.allowed_regions ?? null);
      this.regionsForm.controls.regions.setValue((answer.allowed_regions ?? []).join(', '));
    } catch (error: unknown) {
      this.regions.set(null);
      this.error.set(apiErrorMessage(error));
    }
  }

  private async loadFlags(): Promise<void> {
    try {
      this.flags.set((await firstValueFrom(this.api.flags())).flags);
    } catch (error: unknown) {
      this.flags.set(this.flags() ?? []);
      this.error.set(apiErrorMessage(error));
    }
  }

  private async loadSettings(): Promise<void> {
    try {
      this.settings.set(await firstValueFrom(this.api.settings()));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
