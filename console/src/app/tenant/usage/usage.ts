import { ChangeDetectionStrategy, Component, DOCUMENT, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { Observable, catchError, combineLatest, firstValueFrom, forkJoin, of, switchMap } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { PageMessages } from '../../shared/page-messages';
import { EmptyState } from '../../shared/empty-state';
import {
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
import { StatCard } from '../../shared/stat-card';
import { RANGES, formatUtc, granularityFor, since } from '../../shared/time-range';
import { Key, KeysApi } from '../keys/keys-api';
import { formatCost, formatCount, formatLatency } from '../overview/summary';
import { attachmentName, bars, everyBucket } from './chart';
import { RecordDetails } from './record-details';
import {
  BreakdownBy,
  BreakdownRow,
  Outcome,
  TimeSeries,
  UsageApi,
  UsageFilter,
  UsageRecord,
} from './usage-api';

const PAGE_SIZE = 50;
const CHART = { width: 720, height: 120 };

@Component({
  selector: 'tp-usage',
  imports: [
    ReactiveFormsModule,
    RouterLink,
    Alert,
    PageMessages,
    EmptyState,
    StatCard,
    RecordDetails,
    PagerNav,
    Loading,
  ],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Usage</h1>
    <form
      [formGroup]="form"
      (ngSubmit)="apply()"
      aria-label="Filters"
      class="mb-6 grid grid-cols-2 items-end gap-4 rounded-lg border border-slate-200 bg-white p-4 md:grid-cols-3 lg:grid-cols-6 dark:border-slate-800 dark:bg-slate-900"
    >
      <div>
        <label for="usage-range" [class]="s.label">Time range</label>
        <select id="usage-range" formControlName="hours" [class]="s.select">
          @for (range of ranges; track range.hours) {
            <option [ngValue]="range.hours">{{ range.label }}</option>
          }
        </select>
      </div>
      <div>
        <label for="usage-key" [class]="s.label">Key</label>
        <select id="usage-key" formControlName="keyId" [class]="s.select">
          <option value="">All keys</option>
          @for (key of keys(); track key.id) {
            <option [value]="key.id">{{ key.name || key.prefix }}</option>
          }
        </select>
      </div>
      <div>
        <label for="usage-model" [class]="s.label">Model</label>
        <select id="usage-model" formControlName="alias" [class]="s.select">
          <option value="">All models</option>
          @for (name of models(); track name) {
            <option [value]="name">{{ name }}</option>
          }
        </select>
      </div>
      <div>
        <label for="usage-provider" [class]="s.label">Provider</label>
        <select id="usage-provider" formControlName="provider" [class]="s.select">
          <option value="">All providers</option>
          @for (name of providers(); track name) {
            <option [value]="name">{{ name }}</option>
          }
        </select>
      </div>
      <div>
        <label for="usage-status" [class]="s.label">Status</label>
        <select id="usage-status" formControlName="status" [class]="s.select">
          <option value="">Any status</option>
          <option value="ok">Succeeded (below 400)</option>
          <option value="error">Failed (400 or more)</option>
        </select>
      </div>
      <div class="flex gap-2">
        <button type="submit" [class]="s.primary">Apply filters</button>
      </div>
    </form>
    <tp-page-messages [error]="error()" />

    <section aria-labelledby="over-time" class="mb-8">
      <h2 id="over-time" class="mb-3 text-lg font-semibold">Over time</h2>
      @if (series(); as ts) {
        <dl class="mb-4 grid grid-cols-2 gap-4 md:grid-cols-5">
          <div tpStatCard label="Requests" [value]="count(totals().requests)"></div>
          <div tpStatCard label="Errors" [value]="count(totals().errors)"></div>
          <div tpStatCard label="Cost" [value]="cost(totals().cost)"></div>
          <div tpStatCard label="Latency p95 (max of buckets)" [value]="latency(totals().p95)"></div>
          <div tpStatCard label="Guard findings" [value]="count(totals().violations)"></div>
        </dl>
        @if (ts.points.length === 0) {
          <tp-empty-state>
            No requests match these filters in this range. Widen the time range or clear a filter; new
            requests through the gateway show here within seconds (press “Apply filters” to refresh).
          </tp-empty-state>
        } @else {
          <svg
            role="img"
            [attr.aria-label]="chartLabel()"
            [attr.viewBox]="'0 0 ' + chart.width + ' ' + chart.height"
            class="h-32 w-full rounded-lg border border-slate-200 bg-white fill-indigo-500 p-2 dark:border-slate-800 dark:bg-slate-900"
            preserveAspectRatio="none"
          >
            @for (bar of chartBars(); track $index) {
              <rect [attr.x]="bar.x" [attr.y]="bar.y" [attr.width]="bar.width" [attr.height]="bar.height">
                <title>{{ bar.label }}</title>
              </rect>
            }
          </svg>
          <p class="mt-1 flex justify-between text-xs text-slate-500 dark:text-slate-400" aria-hidden="true">
            <span>{{ utc(ts.since) }}</span><span>{{ utc(ts.until) }}</span>
          </p>
          <details class="mt-2 text-sm">
            <summary class="cursor-pointer">Show the figures per {{ ts.granularity }}</summary>
            <div [class]="s.frame" class="mt-2">
              <table [class]="s.table">
                <thead [class]="s.thead">
                  <tr>
                    <th scope="col" class="px-4 py-2 font-medium">Starting</th>
                    <th scope="col" class="px-4 py-2 text-right font-medium">Requests</th>
                    <th scope="col" class="px-4 py-2 text-right font-medium">Errors</th>
                    <th scope="col" class="px-4 py-2 text-right font-medium">Cost</th>
                    <th scope="col" class="px-4 py-2 text-right font-medium">p50</th>
                    <th scope="col" class="px-4 py-2 text-right font-medium">p95</th>
                  </tr>
                </thead>
                <tbody [class]="s.tbody">
                  @for (point of ts.points; track point.bucket_start) {
                    <tr>
                      <td class="px-4 py-2">{{ utc(point.bucket_start) }}</td>
                      <td class="px-4 py-2 text-right tabular-nums">{{ count(point.requests) }}</td>
                      <td class="px-4 py-2 text-right tabular-nums">{{ count(point.errors) }}</td>
                      <td class="px-4 py-2 text-right tabular-nums">{{ cost(+point.cost_usd) }}</td>
                      <td class="px-4 py-2 text-right tabular-nums">{{ latency(point.p50_ms) }}</td>
                      <td class="px-4 py-2 text-right tabular-nums">{{ latency(point.p95_ms) }}</td>
                    </tr>
                  }
                </tbody>
              </table>
            </div>
          </details>
        }
      } @else if (!error()) {
        <tp-loading>Loading usage…</tp-loading>
      }
    </section>

    <section aria-labelledby="breakdown" class="mb-8">
      <div class="mb-3 flex flex-wrap items-end justify-between gap-4">
        <h2 id="breakdown" class="text-lg font-semibold">Breakdown</h2>
        <div>
          <label for="breakdown-by" [class]="s.label">Break down by</label>
          <select id="breakdown-by" [class]="s.select" (change)="breakdownBy.set($any($event.target).value)">
            <option value="model" [selected]="breakdownBy() === 'model'">Model</option>
            <option value="key" [selected]="breakdownBy() === 'key'">Key</option>
            <option value="provider" [selected]="breakdownBy() === 'provider'">Provider</option>
          </select>
        </div>
      </div>
      <p class="mb-2 text-xs text-slate-500 dark:text-slate-400">
        Over the whole time range; the other filters do not apply here.
      </p>
      @if (breakdown().length === 0) {
        <tp-empty-state>Nothing to break down in this range yet.</tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">{{ breakdownLabel() }}</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Requests</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Errors</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Tokens</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Cost</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">p95</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Guard findings</th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (row of breakdown(); track row.group) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-mono font-normal">
                    {{ groupName(row.group) }}
                  </th>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.requests) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.errors) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ count(row.prompt_tokens + row.completion_tokens) }}
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ cost(+row.cost_usd) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ latency(row.p95_ms) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.violations) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>

    <section aria-labelledby="records" class="mb-8">
      <div class="mb-3 flex flex-wrap items-center justify-between gap-4">
        <h2 id="records" class="text-lg font-semibold">Request records</h2>
        <div class="flex items-center gap-2">
          <button type="button" (click)="exportCsv()" [disabled]="exporting()" [class]="s.secondary">
            Export CSV
          </button>
        </div>
      </div>
      @if (exported()) {
        <div class="mb-3">
          <tp-alert kind="info">{{ exported() }}</tp-alert>
        </div>
      }
      @if (records() === null) {
        <tp-loading>Loading records…</tp-loading>
      } @else if (records()!.length === 0) {
        <tp-empty-state>
          No request records match these filters. Send a request to the gateway's
          <code>/v1/chat/completions</code> with a key from
          <a routerLink="/keys" class="text-indigo-600 underline dark:text-indigo-400">Keys</a>, or widen the
          time range.
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              Request records, oldest first, page
              {{
                pager.page()
              }}
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-2 py-2 font-medium lg:px-4">Time</th>
                <th scope="col" class="px-2 py-2 font-medium lg:px-4">Model</th>
                <th scope="col" class="px-2 py-2 font-medium lg:px-4">Provider</th>
                <th scope="col" class="px-2 py-2 font-medium lg:px-4">Status</th>
                <th scope="col" class="px-2 py-2 text-right font-medium lg:px-4">Tokens</th>
                <th scope="col" class="px-2 py-2 text-right font-medium lg:px-4">Latency</th>
                <th scope="col" class="px-2 py-2 text-right font-medium lg:px-4">Cost</th>
                <th scope="col" class="px-2 py-2 lg:px-4"><span class="sr-only">Details</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (record of records(); track record.id) {
                <tr [class]="selected()?.id === record.id ? 'bg-indigo-50 dark:bg-indigo-950' : ''">
                  <td class="px-2 py-2 whitespace-nowrap lg:px-4">{{ utc(record.created_at) }}</td>
                  <td class="px-2 py-2 font-mono whitespace-nowrap lg:px-4">{{ record.alias ?? '—' }}</td>
                  <td class="px-2 py-2 lg:px-4">{{ record.provider ?? '—' }}</td>
                  <td class="px-2 py-2 tabular-nums lg:px-4">{{ record.status_code }}</td>
                  <td class="px-2 py-2 text-right tabular-nums lg:px-4">
                    {{ count(record.prompt_tokens + record.completion_tokens) }}
                  </td>
                  <td class="px-2 py-2 text-right tabular-nums lg:px-4">{{ latency(record.latency_ms) }}</td>
                  <td class="px-2 py-2 text-right tabular-nums lg:px-4">{{ cost(+record.cost_usd) }}</td>
                  <td class="px-2 py-2 text-right lg:px-4">
                    <button
                      type="button"
                      (click)="selected.set(record)"
                      [attr.aria-label]="'Details of request ' + record.id"
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
          label="Pages of records"
          previousLabel="Previous page"
          nextLabel="Next page"
        />
      }
    </section>
    @if (selected(); as record) {
      <tp-record-details [record]="record" (closed)="selected.set(null)" />
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Usage {
  protected readonly s = {
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
  protected readonly chart = CHART;
  protected readonly access = inject(Access);
  protected readonly form = inject(NonNullableFormBuilder).group({
    hours: 24 as number,
    keyId: '',
    alias: '',
    provider: '',
    status: '' as Outcome | '',
  });
  /** The filters applied (the form's values when "Apply filters" was last pressed). */
  protected readonly filter = signal<UsageFilter>(this.read());
  protected readonly pager = new Pager();
  protected readonly breakdownBy = signal<BreakdownBy>('model');
  protected readonly series = signal<TimeSeries | null>(null);
  protected readonly breakdown = signal<BreakdownRow[]>([]);
  protected readonly records = signal<UsageRecord[] | null>(null);
  protected readonly selected = signal<UsageRecord | null>(null);
  protected readonly keys = signal<Key[]>([]);
  protected readonly models = signal<string[]>([]);
  protected readonly providers = signal<string[]>([]);
  protected readonly error = signal('');
  protected readonly exported = signal('');
  protected readonly exporting = signal(false);

  protected readonly totals = computed(() => {
    const points = this.series()?.points ?? [];
    const p95s = points.map((p) => p.p95_ms).filter((v): v is number => v !== null);
    return {
      requests: points.reduce((sum, p) => sum + p.requests, 0),
      errors: points.reduce((sum, p) => sum + p.errors, 0),
      cost: points.reduce((sum, p) => sum + Number(p.cost_usd), 0),
      violations: points.reduce((sum, p) => sum + p.violations, 0),
      p95: p95s.length > 0 ? Math.max(...p95s) : null,
    };
  });
  protected readonly chartBars = computed(() => {
    const ts = this.series();
    if (ts === null) {
      return [];
    }
    const unit = ts.granularity === 'hour' ? 16 : 10; // '2026-12-07 10:00' or '2026-12-07'
    return bars(
      everyBucket(ts.points, ts.since, ts.until, ts.granularity).map((b) => ({
        value: b.requests,
        label: `${b.start.toISOString().slice(0, unit).replace('T', ' ')} UTC: ${b.requests} requests`,
      })),
      CHART.width,
      CHART.height,
    );
  });
  protected readonly chartLabel = computed(() => {
    const ts = this.series();
    return ts === null
      ? ''
      : `Requests per ${ts.granularity}: ${this.totals().requests} in ${ts.points.length} ${ts.granularity}s with traffic`;
  });
  protected readonly breakdownLabel = computed(
    () => ({ model: 'Model', key: 'Key', provider: 'Provider' })[this.breakdownBy()],
  );
  protected readonly count = formatCount;
  protected readonly cost = formatCost;
  protected readonly latency = formatLatency;
  protected readonly utc = formatUtc;

  private readonly usage = inject(UsageApi);
  private readonly document = inject(DOCUMENT);

  constructor() {
    inject(KeysApi)
      .list()
      .pipe(catchError(() => of({ data: [] as Key[], next_cursor: null })))
      .subscribe((page) => this.keys.set(page.data));

    toObservable(this.filter)
      .pipe(
        switchMap((filter) =>
          forkJoin([
            this.usage.timeseries(filter, granularityFor((Date.now() - filter.since.getTime()) / 3_600_000)),
            this.usage.breakdown('model', filter.since),
            this.usage.breakdown('provider', filter.since),
          ]).pipe(catchError((error: unknown) => this.fail(error))),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((answers) => {
        if (answers !== null) {
          const [series, byModel, byProvider] = answers;
          this.series.set(series);
          this.models.set(names(byModel.rows));
          this.providers.set(names(byProvider.rows));
        }
      });

    combineLatest([toObservable(this.filter), toObservable(this.breakdownBy)])
      .pipe(
        switchMap(([filter, by]) =>
          this.usage.breakdown(by, filter.since).pipe(catchError((error: unknown) => this.fail(error))),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((answer) => answer !== null && this.breakdown.set(answer.rows));

    const page = computed(() => ({ filter: this.filter(), cursor: this.pager.current() }));
    toObservable(page)
      .pipe(
        switchMap(({ filter, cursor }) =>
          this.usage
            .records(filter, PAGE_SIZE, cursor)
            .pipe(catchError((error: unknown) => this.fail(error))),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((answer) => {
        if (answer === null) {
          this.records.set(this.records() ?? []);
          return;
        }
        this.records.set(answer.data);
        this.pager.nextCursor.set(answer.next_cursor);
      });
  }

  protected apply(): void {
    this.error.set('');
    this.exported.set('');
    this.selected.set(null);
    this.pager.reset();
    this.filter.set(this.read());
  }

  protected groupName(group: string | null): string {
    if (group === null) {
      return 'none';
    }
    if (this.breakdownBy() === 'key') {
      const key = this.keys().find((k) => k.id === group);
      return key ? key.name || key.prefix : group;
    }
    return group;
  }

  protected async exportCsv(): Promise<void> {
    this.exporting.set(true);
    this.exported.set('');
    try {
      const answer = await firstValueFrom(this.usage.exportCsv(this.filter()));
      const rows = answer.headers.get('X-Export-Rows') ?? '?';
      const truncated = answer.headers.get('X-Export-Truncated') === 'true';
      const name = attachmentName(answer.headers.get('Content-Disposition'), 'usage.csv');
      const url = URL.createObjectURL(answer.body ?? new Blob([]));
      const link = this.document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      this.exported.set(
        `Downloaded ${name} with ${rows} records.` +
          (truncated ? ' More matched than one file holds: narrow the time range to export the rest.' : ''),
      );
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.exporting.set(false);
    }
  }

  private read(): UsageFilter {
    const { hours, keyId, alias, provider, status } = this.form.getRawValue();
    return { since: since(hours), keyId, alias, provider, status: status || undefined };
  }

  private fail(error: unknown): Observable<null> {
    this.error.set(apiErrorMessage(error));
    return of(null);
  }
}

function names(rows: readonly BreakdownRow[]): string[] {
  return rows.map((row) => row.group).filter((group): group is string => group !== null);
}
