import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { catchError, of, switchMap } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { PageMessages } from '../../shared/page-messages';
import { EmptyState } from '../../shared/empty-state';
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
import { Pager } from '../../shared/pager';
import { PagerNav } from '../../shared/pager-nav';
import { RANGES, formatUtc, since } from '../../shared/time-range';
import { Key, KeysApi } from '../keys/keys-api';
import { Violation, ViolationFilter, ViolationsApi } from './violations-api';

const PAGE_SIZE = 50;
/** The API's pattern for detector and type names. */
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The guard's violations, filtered and paged, with the details of one. */
@Component({
  selector: 'tp-violations',
  imports: [ReactiveFormsModule, Alert, PageMessages, EmptyState, PagerNav, Loading],
  template: `
    <form
      [formGroup]="form"
      (ngSubmit)="apply()"
      aria-label="Violation filters"
      class="mb-4 grid grid-cols-2 items-end gap-4 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-4 lg:grid-cols-7 dark:border-slate-800 dark:bg-slate-900"
    >
      <div>
        <label for="v-range" [class]="s.label">Time range</label>
        <select id="v-range" formControlName="hours" [class]="s.select">
          @for (range of ranges; track range.hours) {
            <option [ngValue]="range.hours">{{ range.label }}</option>
          }
        </select>
      </div>
      <div>
        <label for="v-key" [class]="s.label">Key</label>
        <select id="v-key" formControlName="keyId" [class]="s.select">
          <option value="">All keys</option>
          @for (key of keys(); track key.id) {
            <option [value]="key.id">{{ key.name || key.prefix }}</option>
          }
        </select>
      </div>
      <div>
        <label for="v-detector" [class]="s.label">Detector</label>
        <input id="v-detector" formControlName="detector" placeholder="e.g. pii" [class]="s.input" />
      </div>
      <div>
        <label for="v-type" [class]="s.label">Finding type</label>
        <input id="v-type" formControlName="type" placeholder="e.g. email" [class]="s.input" />
      </div>
      <div>
        <label for="v-action" [class]="s.label">Action</label>
        <select id="v-action" formControlName="action" [class]="s.select">
          <option value="">Any action</option>
          <option value="block">Blocked</option>
          <option value="redact">Redacted</option>
          <option value="flag">Flagged</option>
        </select>
      </div>
      <div>
        <label for="v-direction" [class]="s.label">Direction</label>
        <select id="v-direction" formControlName="direction" [class]="s.select">
          <option value="">Both</option>
          <option value="input">Input (to the provider)</option>
          <option value="output">Output (the answer)</option>
        </select>
      </div>
      <div>
        <button type="submit" [class]="s.primary">Apply filters</button>
      </div>
    </form>
    @if (invalid()) {
      <div class="mb-4">
        <tp-alert
          >A detector or finding type is lower case letters, digits and underscores, starting with a letter
          (e.g. <code>pii</code>, <code>credit_card</code>).</tp-alert
        >
      </div>
    }
    <tp-page-messages [error]="error()" />
    @if (violations() === null) {
      <tp-loading>Loading violations…</tp-loading>
    } @else if (violations()!.length === 0) {
      <tp-empty-state>
        No violations match these filters. The guard records one each time the tenant's policy blocks, redacts
        or flags something; widen the time range or clear a filter to see more.
      </tp-empty-state>
    } @else {
      <div [class]="s.frame">
        <table [class]="s.table">
          <caption class="sr-only">
            Guard violations, oldest first, page
            {{
              pager.page()
            }}
          </caption>
          <thead [class]="s.thead">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">Time</th>
              <th scope="col" class="px-4 py-2 font-medium">Detector</th>
              <th scope="col" class="px-4 py-2 font-medium">Type</th>
              <th scope="col" class="px-4 py-2 font-medium">Action</th>
              <th scope="col" class="px-4 py-2 font-medium">Direction</th>
              <th scope="col" class="px-4 py-2 text-right font-medium">Score</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Details</span></th>
            </tr>
          </thead>
          <tbody [class]="s.tbody">
            @for (v of violations(); track v.id) {
              <tr>
                <td class="px-4 py-2 whitespace-nowrap">{{ utc(v.created_at) }}</td>
                <td class="px-4 py-2">{{ v.detector }}</td>
                <td class="px-4 py-2 font-mono">{{ v.type }}</td>
                <td class="px-4 py-2">{{ v.action }}{{ v.shadow ? ' (shadow)' : '' }}</td>
                <td class="px-4 py-2">{{ v.direction }}</td>
                <td class="px-4 py-2 text-right tabular-nums">{{ v.score.toFixed(2) }}</td>
                <td class="px-4 py-2 text-right">
                  <button
                    type="button"
                    (click)="selected.set(v)"
                    [attr.aria-label]="'Details of violation ' + v.id"
                    [attr.aria-expanded]="selected()?.id === v.id"
                    class="underline"
                  >
                    Details
                  </button>
                </td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      <tp-pager-nav
        [pager]="pager"
        label="Pages of violations"
        previousLabel="Previous page"
        nextLabel="Next page"
      />
    }
    @if (selected(); as v) {
      <section
        aria-labelledby="violation-heading"
        class="mt-6 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      >
        <div class="mb-3 flex items-center justify-between gap-2">
          <h3 id="violation-heading" class="text-lg font-semibold">Violation {{ v.id }}</h3>
          <button type="button" (click)="selected.set(null)" [class]="s.secondary">Close details</button>
        </div>
        <dl class="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
          @for (field of details(); track field.name) {
            <div>
              <dt class="text-slate-500 dark:text-slate-400">{{ field.name }}</dt>
              <dd class="font-mono break-all">{{ field.value }}</dd>
            </div>
          }
        </dl>
        <p class="mt-3 text-xs text-slate-500 dark:text-slate-400">
          The guard keeps where a finding was, never the text itself.
        </p>
      </section>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Violations {
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    primary: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly ranges = RANGES;
  protected readonly utc = formatUtc;
  protected readonly form = inject(NonNullableFormBuilder).group({
    hours: (24 * 7) as number,
    detector: ['', Validators.pattern(NAME)],
    type: ['', Validators.pattern(NAME)],
    action: '' as '' | 'block' | 'redact' | 'flag',
    direction: '' as '' | 'input' | 'output',
    keyId: '',
  });
  protected readonly filter = signal<ViolationFilter>(this.read());
  protected readonly pager = new Pager();
  protected readonly violations = signal<Violation[] | null>(null);
  protected readonly keys = signal<Key[]>([]);
  protected readonly selected = signal<Violation | null>(null);
  protected readonly error = signal('');
  protected readonly invalid = signal(false);
  protected readonly details = computed(() => {
    const v = this.selected();
    if (v === null) {
      return [];
    }
    return [
      { name: 'Time', value: formatUtc(v.created_at) },
      { name: 'Request', value: v.request_id },
      { name: 'Key', value: this.keyName(v.key_id) },
      { name: 'Detector / type', value: `${v.detector} / ${v.type}` },
      { name: 'Action', value: v.shadow ? `${v.action} (shadow mode: recorded, not enforced)` : v.action },
      { name: 'Direction / source', value: `${v.direction} / ${v.source}` },
      {
        name: 'Where',
        value: v.start === null ? v.location : `${v.location}, characters ${v.start}–${v.end}`,
      },
      { name: 'Score', value: v.score.toFixed(3) },
      { name: 'Policy version', value: String(v.policy_version) },
    ];
  });
  private readonly api = inject(ViolationsApi);

  constructor() {
    inject(KeysApi)
      .list()
      .pipe(catchError(() => of({ data: [] as Key[], next_cursor: null })))
      .subscribe((page) => this.keys.set(page.data));
    const page = computed(() => ({ filter: this.filter(), cursor: this.pager.current() }));
    toObservable(page)
      .pipe(
        switchMap(({ filter, cursor }) =>
          this.api.list(filter, PAGE_SIZE, cursor).pipe(
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of(null);
            }),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((answer) => {
        if (answer === null) {
          this.violations.set(this.violations() ?? []);
          return;
        }
        this.error.set('');
        this.violations.set(answer.data);
        this.pager.nextCursor.set(answer.next_cursor);
      });
  }

  protected apply(): void {
    this.invalid.set(this.form.invalid);
    if (this.form.invalid) {
      return;
    }
    this.selected.set(null);
    this.pager.reset();
    this.filter.set(this.read());
  }

  private keyName(id: string | null): string {
    if (id === null) {
      return '—';
    }
    const key = this.keys().find((k) => k.id === id);
    return key ? `${key.name || key.prefix} (${id})` : id;
  }

  private read(): ViolationFilter {
    const { hours, detector, type, action, direction, keyId } = this.form.getRawValue();
    return {
      since: since(hours),
      keyId: keyId || undefined,
      detector: detector || undefined,
      type: type || undefined,
      action: action || undefined,
      direction: direction || undefined,
    };
  }
}
