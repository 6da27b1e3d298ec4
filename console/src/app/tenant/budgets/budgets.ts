import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom, forkJoin, of } from 'rxjs';
import { catchError } from 'rxjs/operators';

import { apiErrorMessage } from '../../api/errors';
import { FormErrors, formErrors } from '../../api/field-errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
import { FieldError } from '../../shared/field-error';
import { INPUT, LABEL, PRIMARY_BUTTON, SECONDARY_BUTTON, SELECT } from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Panel } from '../../shared/panel';
import { Key, KeysApi } from '../keys/keys-api';
import { Standing, formatAmount, parseThresholds, standing } from './budget-status';
import { Budget, BudgetStatus, BudgetsApi, NewBudget } from './budgets-api';

const FIELDS = ['name', 'key_id', 'unit', 'amount', 'period', 'timezone', 'hard', 'alert_thresholds'];
const NO_ERRORS: FormErrors = { fields: {}, other: '' };

interface Row {
  budget: Budget;
  status: BudgetStatus | null;
  standing: Standing | null;
}

/** Budgets: each one's spend against its limit in the current period, its alerts, and the controls. */
@Component({
  selector: 'tp-budgets',
  imports: [ReactiveFormsModule, Alert, PageMessages, ConfirmButton, EmptyState, FieldError, Loading, Panel],
  template: `
    <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 class="text-2xl font-semibold">Budgets</h1>
        <p class="max-w-3xl text-sm text-slate-600 dark:text-slate-300">
          Spending limits of the whole tenant or of one key, per day, week, month or in total. A hard budget
          refuses calls (402) once spent; each alert threshold mails the owners and admins once a period.
        </p>
      </div>
      <button type="button" (click)="load()" [class]="styles.secondary">Refresh</button>
    </div>
    @if (access.can('budgets:write')) {
      <tp-panel headingId="new-budget" heading="Add a budget">
        <form [formGroup]="form" (ngSubmit)="create()" class="grid gap-4 md:grid-cols-4">
          <div>
            <label for="budget-name" [class]="styles.label">Name</label>
            <input
              id="budget-name"
              formControlName="name"
              placeholder="e.g. monthly spend"
              [class]="styles.input"
            />
            <tp-field-error id="budget-name-error" [message]="errors().fields['name']" />
          </div>
          <div>
            <label for="budget-scope" [class]="styles.label">Applies to</label>
            <select
              id="budget-scope"
              formControlName="key_id"
              [attr.aria-invalid]="!!errors().fields['key_id']"
              aria-describedby="budget-scope-error"
              [class]="styles.select"
            >
              <option value="">The whole tenant</option>
              @for (key of keys(); track key.id) {
                <option [value]="key.id">Key {{ key.name || key.prefix }}</option>
              }
            </select>
            <tp-field-error id="budget-scope-error" [message]="errors().fields['key_id']" />
          </div>
          <div>
            <label for="budget-unit" [class]="styles.label">Unit</label>
            <select id="budget-unit" formControlName="unit" [class]="styles.select">
              <option value="usd">US dollars</option>
              <option value="tokens">Tokens</option>
            </select>
          </div>
          <div>
            <label for="budget-amount" [class]="styles.label">Amount</label>
            <input
              id="budget-amount"
              formControlName="amount"
              inputmode="decimal"
              placeholder="e.g. 500"
              [attr.aria-invalid]="!!errors().fields['amount']"
              aria-describedby="budget-amount-error"
              [class]="styles.input"
            />
            <tp-field-error id="budget-amount-error" [message]="errors().fields['amount']" />
          </div>
          <div>
            <label for="budget-period" [class]="styles.label">Period</label>
            <select id="budget-period" formControlName="period" [class]="styles.select">
              <option value="daily">Daily</option>
              <option value="weekly">Weekly</option>
              <option value="monthly">Monthly</option>
              <option value="total">In total</option>
            </select>
          </div>
          <div>
            <label for="budget-tz" [class]="styles.label">Time zone of the periods</label>
            <input
              id="budget-tz"
              formControlName="timezone"
              [attr.aria-invalid]="!!errors().fields['timezone']"
              aria-describedby="budget-tz-error"
              [class]="styles.input"
            />
            <tp-field-error id="budget-tz-error" [message]="errors().fields['timezone']" />
          </div>
          <div>
            <label for="budget-alerts" [class]="styles.label">Alert at (% of the amount)</label>
            <input
              id="budget-alerts"
              formControlName="alerts"
              placeholder="e.g. 50, 80, 100"
              [attr.aria-invalid]="!!errors().fields['alert_thresholds']"
              aria-describedby="budget-alerts-error"
              [class]="styles.input"
            />
            <tp-field-error id="budget-alerts-error" [message]="errors().fields['alert_thresholds']" />
          </div>
          <div class="flex items-center gap-2 pt-6">
            <input id="budget-hard" type="checkbox" formControlName="hard" class="h-4 w-4" />
            <label for="budget-hard" class="text-sm">Refuse calls once spent (hard)</label>
          </div>
          <div class="md:col-span-4">
            @if (errors().other) {
              <div class="mb-3">
                <tp-alert>{{ errors().other }}</tp-alert>
              </div>
            }
            <button type="submit" [disabled]="busy()" [class]="styles.button">Add budget</button>
          </div>
        </form>
      </tp-panel>
    }
    <tp-page-messages [notice]="notice()" [error]="error()" />
    @if (rows() === null) {
      <tp-loading>Loading budgets…</tp-loading>
    } @else if (rows()!.length === 0) {
      <tp-empty-state>
        No budget limits this tenant's spending.
        @if (access.can('budgets:write')) {
          Add one above: a monthly dollar budget with alerts at 50 %, 80 % and 100 % is a good start.
        } @else {
          Owners and admins add them.
        }
      </tp-empty-state>
    } @else {
      <ul class="grid gap-4 md:grid-cols-2" aria-label="Budgets">
        @for (row of rows(); track row.budget.id) {
          <li
            class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
            [attr.aria-labelledby]="'budget-' + row.budget.id"
          >
            <div class="flex flex-wrap items-baseline justify-between gap-2">
              <h2 [id]="'budget-' + row.budget.id" class="font-semibold">
                {{ row.budget.name || 'Unnamed budget' }}
              </h2>
              <span class="text-xs text-slate-500 dark:text-slate-400">
                {{ scope(row.budget) }} · {{ row.budget.period }} ·
                {{ row.budget.hard ? 'hard' : 'alerts only' }}
                {{ row.budget.disabled ? '· disabled' : '' }}
              </span>
            </div>
            @if (row.status && row.standing) {
              <p class="mt-3 text-sm">
                <span class="text-lg font-semibold tabular-nums">{{
                  amount(row.standing!.used, row.budget.unit)
                }}</span>
                of {{ amount(row.budget.amount, row.budget.unit) }} used ({{
                  row.standing!.percent.toFixed(1)
                }}
                %)
              </p>
              <meter
                class="mt-2 h-3 w-full"
                min="0"
                [max]="row.standing!.amount"
                [value]="row.standing!.used"
                [low]="row.standing!.amount * 0.5"
                [high]="row.standing!.amount * 0.8"
                [optimum]="0"
                [attr.aria-label]="'Spend of ' + (row.budget.name || 'the budget')"
              ></meter>
              <p class="mt-2 text-sm" [class]="stateClass(row.standing!.state)">
                @switch (row.standing!.state) {
                  @case ('exhausted') {
                    Exhausted:
                    {{
                      row.budget.hard
                        ? 'calls are refused until the period ends.'
                        : 'alerts only, calls go on.'
                    }}
                  }
                  @case ('alerting') {
                    Alerting: past a threshold.
                  }
                  @default {
                    Within the limit.
                  }
                }
                Remaining {{ amount(row.status!.remaining, row.budget.unit) }}.
              </p>
              <p class="mt-1 text-xs text-slate-500 dark:text-slate-400">
                Period from {{ utc(row.status!.period_start) }}
                {{ row.status!.period_end ? 'to ' + utc(row.status!.period_end) : '(no end)' }}. Alerts at
                {{ thresholds(row.budget) }}; sent this period:
                {{ row.status!.alerts_sent.length ? sent(row.status!.alerts_sent) : 'none' }}.
              </p>
            } @else {
              <p class="mt-3 text-sm text-slate-500">The current period could not be read.</p>
            }
            @if (access.can('budgets:write') && editing() === row.budget.id) {
              <form [formGroup]="change" (ngSubmit)="save(row.budget)" class="mt-3 grid gap-3 sm:grid-cols-2">
                <div>
                  <label for="edit-amount" [class]="styles.label">New amount</label>
                  <input
                    id="edit-amount"
                    formControlName="amount"
                    inputmode="decimal"
                    [attr.aria-invalid]="!!changeErrors().fields['amount']"
                    aria-describedby="edit-amount-error"
                    [class]="styles.input"
                  />
                  <tp-field-error id="edit-amount-error" [message]="changeErrors().fields['amount']" />
                </div>
                <div>
                  <label for="edit-alerts" [class]="styles.label">Alert at (%)</label>
                  <input
                    id="edit-alerts"
                    formControlName="alerts"
                    [attr.aria-invalid]="!!changeErrors().fields['alert_thresholds']"
                    aria-describedby="edit-alerts-error"
                    [class]="styles.input"
                  />
                  <tp-field-error
                    id="edit-alerts-error"
                    [message]="changeErrors().fields['alert_thresholds']"
                  />
                </div>
                <div class="flex items-center gap-2">
                  <input id="edit-hard" type="checkbox" formControlName="hard" class="h-4 w-4" />
                  <label for="edit-hard" class="text-sm">Refuse calls once spent (hard)</label>
                </div>
                <div class="flex gap-2 sm:col-span-2">
                  @if (changeErrors().other) {
                    <tp-alert>{{ changeErrors().other }}</tp-alert>
                  }
                  <button type="submit" [disabled]="busy()" [class]="styles.button">Save budget</button>
                  <button type="button" (click)="editing.set(null)" [class]="styles.secondary">Cancel</button>
                </div>
              </form>
            } @else if (access.can('budgets:write')) {
              <div class="mt-3 flex flex-wrap gap-2">
                <button
                  type="button"
                  (click)="edit(row.budget)"
                  [attr.aria-label]="'Edit ' + (row.budget.name || 'budget')"
                  [class]="styles.secondary"
                >
                  Edit
                </button>
                <button
                  type="button"
                  (click)="toggle(row.budget)"
                  [attr.aria-label]="
                    (row.budget.disabled ? 'Enable ' : 'Disable ') + (row.budget.name || 'budget')
                  "
                  [class]="styles.secondary"
                >
                  {{ row.budget.disabled ? 'Enable' : 'Disable' }}
                </button>
                <tp-confirm-button
                  label="Delete"
                  [name]="'Delete ' + (row.budget.name || 'budget')"
                  [confirm]="'Confirm deleting ' + (row.budget.name || 'the budget')"
                  (confirmed)="remove(row.budget)"
                />
              </div>
            }
          </li>
        }
      </ul>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Budgets implements OnInit {
  protected readonly access = inject(Access);
  protected readonly amount = formatAmount;
  protected readonly utc = formatUtc;
  protected readonly styles = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
  };
  protected readonly form = inject(NonNullableFormBuilder).group({
    name: [''],
    key_id: [''],
    unit: ['usd' as NewBudget['unit']],
    amount: [''],
    period: ['monthly' as NewBudget['period']],
    timezone: ['UTC'],
    alerts: ['50, 80, 100'],
    hard: [true],
  });
  protected readonly change = inject(NonNullableFormBuilder).group({
    amount: [''],
    alerts: [''],
    hard: [true],
  });
  protected readonly editing = signal<string | null>(null);
  protected readonly changeErrors = signal<FormErrors>(NO_ERRORS);
  protected readonly rows = signal<Row[] | null>(null);
  protected readonly keys = signal<Key[]>([]);
  private readonly keyNames = computed(
    () => new Map(this.keys().map((k) => [k.id, k.name || `${k.prefix}…`] as const)),
  );
  protected readonly errors = signal<FormErrors>(NO_ERRORS);
  protected readonly error = signal('');
  protected readonly notice = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(BudgetsApi);
  private readonly keysApi = inject(KeysApi);

  async ngOnInit(): Promise<void> {
    this.keysApi.list().subscribe({
      next: (page) => this.keys.set(page.data.filter((k) => k.status === 'active')),
      error: () => this.keys.set([]),
    });
    await this.load();
  }

  scope(budget: Budget): string {
    return budget.key_id ? `key ${this.keyNames().get(budget.key_id) ?? budget.key_id}` : 'whole tenant';
  }

  thresholds(budget: Budget): string {
    return budget.alert_thresholds.length ? this.sent(budget.alert_thresholds) : 'no threshold';
  }

  sent(percentages: readonly number[]): string {
    return percentages.map((p) => `${p} %`).join(', ');
  }

  stateClass(state: Standing['state']): string {
    return state === 'exhausted'
      ? 'text-red-700 dark:text-red-300'
      : state === 'alerting'
        ? 'text-amber-700 dark:text-amber-300'
        : 'text-emerald-700 dark:text-emerald-300';
  }

  async create(): Promise<void> {
    const value = this.form.getRawValue();
    const thresholds = parseThresholds(value.alerts);
    if (thresholds === null) {
      this.errors.set({
        fields: { alert_thresholds: 'Whole percentages from 1 to 100, separated by commas.' },
        other: '',
      });
      return;
    }
    this.busy.set(true);
    this.errors.set(NO_ERRORS);
    this.notice.set('');
    try {
      const budget: NewBudget = {
        name: value.name.trim(),
        key_id: value.key_id || null,
        unit: value.unit,
        amount: value.amount.trim(),
        period: value.period,
        timezone: value.timezone.trim(),
        hard: value.hard,
        alert_thresholds: thresholds,
      };
      const created = await firstValueFrom(this.api.create(budget));
      this.notice.set(`Added the budget ${created.name || formatAmount(created.amount, created.unit)}.`);
      this.form.reset();
      await this.load();
    } catch (error: unknown) {
      this.errors.set(formErrors(error, FIELDS, { invalid_budget: 'amount' }));
    } finally {
      this.busy.set(false);
    }
  }

  edit(budget: Budget): void {
    this.change.setValue({
      amount: budget.unit === 'tokens' ? String(Number(budget.amount)) : budget.amount,
      alerts: budget.alert_thresholds.join(', '),
      hard: budget.hard,
    });
    this.changeErrors.set(NO_ERRORS);
    this.editing.set(budget.id);
  }

  async save(budget: Budget): Promise<void> {
    const value = this.change.getRawValue();
    const thresholds = parseThresholds(value.alerts);
    if (thresholds === null) {
      this.changeErrors.set({
        fields: { alert_thresholds: 'Whole percentages from 1 to 100, separated by commas.' },
        other: '',
      });
      return;
    }
    this.busy.set(true);
    this.changeErrors.set(NO_ERRORS);
    try {
      await firstValueFrom(
        this.api.update(budget.id, {
          amount: value.amount.trim(),
          alert_thresholds: thresholds,
          hard: value.hard,
        }),
      );
      this.editing.set(null);
      this.notice.set(`Saved the budget${budget.name ? ` ${budget.name}` : ''}.`);
      await this.load();
    } catch (error: unknown) {
      this.changeErrors.set(formErrors(error, FIELDS, { invalid_budget: 'amount' }));
    } finally {
      this.busy.set(false);
    }
  }

  async toggle(budget: Budget): Promise<void> {
    await this.act(() => firstValueFrom(this.api.update(budget.id, { disabled: !budget.disabled })));
  }

  async remove(budget: Budget): Promise<void> {
    await this.act(() => firstValueFrom(this.api.remove(budget.id)));
  }

  async load(): Promise<void> {
    try {
      const budgets = (await firstValueFrom(this.api.list())).data;
      const statuses = budgets.length
        ? await firstValueFrom(
            forkJoin(budgets.map((b) => this.api.status(b.id).pipe(catchError(() => of(null))))),
          )
        : [];
      this.rows.set(
        budgets.map((budget, i) => {
          const status = statuses[i] ?? null;
          return { budget, status, standing: status ? standing(status, budget.alert_thresholds) : null };
        }),
      );
      this.error.set('');
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.rows.set(this.rows() ?? []);
    }
  }

  private async act(call: () => Promise<unknown>): Promise<void> {
    this.error.set('');
    try {
      await call();
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
