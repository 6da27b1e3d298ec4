import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import { catchError, combineLatest, forkJoin, of, switchMap, timer } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { PageMessages } from '../../shared/page-messages';
import { StatCard } from '../../shared/stat-card';
import { RANGES, granularityFor } from '../../shared/time-range';
import {
  errorRate,
  formatBound,
  formatCost,
  formatCount,
  formatLatency,
  summarize,
  topKeys,
} from './summary';
import { ViolationSeries, ViolationsApi } from '../guard/violations-api';
import { KeysApi } from '../keys/keys-api';
import { AggregateRow, Breakdown, BreakdownRow, UsageApi } from '../usage/usage-api';
import { ViolationsChart } from './violations-chart';

/** How often the figures are fetched again: new traffic shows within this time. */
export const REFRESH_MS = 3000;
/** How many keys "Top keys" lists. */
const TOP_KEYS = 5;

@Component({
  selector: 'tp-overview',
  imports: [StatCard, PageMessages, RouterLink, ViolationsChart],
  template: `
    <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 class="text-2xl font-semibold">Overview</h1>
        <p class="text-sm text-slate-500 dark:text-slate-400" role="status">
          @if (updatedAt(); as at) {
            Live: updated {{ at.toLocaleTimeString() }}
          } @else {
            Loading…
          }
        </p>
      </div>
      <div>
        <label for="range" class="block text-sm font-medium">Time range</label>
        <select
          id="range"
          (change)="hours.set(+$any($event.target).value)"
          class="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
        >
          @for (range of ranges; track range.hours) {
            <option [value]="range.hours" [selected]="range.hours === hours()">{{ range.label }}</option>
          }
        </select>
      </div>
    </div>
    <tp-page-messages [error]="error()" />
    <dl class="grid grid-cols-2 gap-4 md:grid-cols-4 xl:grid-cols-7">
      <div tpStatCard label="Requests" [value]="count(summary().requests)"></div>
      <div tpStatCard label="Errors" [value]="count(summary().errors)" [hint]="rate()"></div>
      <div tpStatCard label="Tokens" [value]="count(summary().tokens)"></div>
      <div tpStatCard label="Cost" [value]="cost(summary().costUsd)"></div>
      <div tpStatCard label="Mean latency" [value]="latency(summary().avgLatencyMs)"></div>
      <div tpStatCard label="Latency p50" [value]="bound(total()?.p50_ms ?? null)" [hint]="bucketHint"></div>
      <div tpStatCard label="Latency p95" [value]="bound(total()?.p95_ms ?? null)" [hint]="bucketHint"></div>
    </dl>
    @if (access.can('audit:read')) {
      <section class="mt-8" aria-labelledby="violations-over-time">
        <h2 id="violations-over-time" class="mb-3 text-lg font-semibold">Violations over time</h2>
        <tp-violations-chart [series]="violationSeries()" />
      </section>
    }
    <section class="mt-8" aria-labelledby="by-model">
      <h2 id="by-model" class="mb-3 text-lg font-semibold">By model</h2>
      @if (byModel().length === 0) {
        <p class="rounded-lg border border-dashed border-slate-300 p-6 text-sm dark:border-slate-700">
          No requests in this range yet. Create a key under
          <a routerLink="/keys" class="text-indigo-600 underline dark:text-indigo-400">Keys</a> and send a
          request to the gateway's <code>/v1/chat/completions</code> with it: it shows here within seconds.
        </p>
      } @else {
        <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
          <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
            <thead class="bg-slate-100 text-left dark:bg-slate-900">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Model</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Requests</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Errors</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Tokens</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Cost</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Mean latency</th>
              </tr>
            </thead>
            <tbody class="divide-y divide-slate-200 bg-white dark:divide-slate-800 dark:bg-slate-950">
              @for (row of byModel(); track row.group) {
                <tr>
                  <td class="px-4 py-2 font-mono">{{ row.group ?? 'unknown' }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.requests) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.errors) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ count(row.prompt_tokens + row.completion_tokens) }}
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ cost(+row.cost_usd) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ latency(row.avg_latency_ms) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>
    <section class="mt-8" aria-labelledby="top-keys">
      <h2 id="top-keys" class="mb-3 text-lg font-semibold">Top keys</h2>
      @if (topKeys().length === 0) {
        <p class="rounded-lg border border-dashed border-slate-300 p-6 text-sm dark:border-slate-700">
          No key has sent a request in this range.
        </p>
      } @else {
        <div class="overflow-x-auto rounded-lg border border-slate-200 dark:border-slate-800">
          <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
            <caption class="sr-only">
              The keys with the most requests in the range
            </caption>
            <thead class="bg-slate-100 text-left dark:bg-slate-900">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Key</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Requests</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Errors</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Cost</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">p50</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">p95</th>
              </tr>
            </thead>
            <tbody class="divide-y divide-slate-200 bg-white dark:divide-slate-800 dark:bg-slate-950">
              @for (row of topKeys(); track row.group) {
                <tr>
                  <td class="px-4 py-2">{{ row.name }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.requests) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(row.errors) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ cost(+row.cost_usd) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ bound(row.p50_ms) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ bound(row.p95_ms) }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Overview {
  protected readonly ranges = RANGES;
  protected readonly hours = signal<number>(24);
  protected readonly totals = signal<AggregateRow[]>([]);
  protected readonly byModel = signal<AggregateRow[]>([]);
  protected readonly byKey = signal<BreakdownRow[]>([]);
  protected readonly total = signal<Breakdown['total'] | null>(null);
  private readonly keyNames = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly topKeys = computed(() => topKeys(this.byKey(), this.keyNames(), TOP_KEYS));
  protected readonly bucketHint = 'upper bound of its latency bucket';
  protected readonly bound = formatBound;
  protected readonly updatedAt = signal<Date | null>(null);
  protected readonly error = signal('');
  protected readonly summary = computed(() => summarize(this.totals()));
  protected readonly rate = computed(() => errorRate(this.summary()));
  protected readonly count = formatCount;
  protected readonly cost = formatCost;
  protected readonly latency = formatLatency;
  /** Violations need `audit:read` (owners, admins, auditors): members see no chart and ask for none. */
  protected readonly access = inject(Access);
  protected readonly violationSeries = signal<ViolationSeries | null>(null);
  private readonly violations = inject(ViolationsApi);
  private readonly usage = inject(UsageApi);
  private readonly keys = inject(KeysApi);
  private keysAskedAt = 0;

  constructor() {
    combineLatest([toObservable(this.hours), timer(0, REFRESH_MS)])
      .pipe(
        switchMap(([hours]) => {
          const now = new Date();
          const since = new Date(now.getTime() - hours * 3_600_000);
          return forkJoin([
            this.usage.aggregates('day', since),
            this.usage.aggregates('model', since),
            this.usage.breakdown('key', since),
            this.access.can('audit:read')
              ? this.violations.timeseries(granularityFor(hours), since, now)
              : of(null),
          ]).pipe(
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of(null);
            }),
          );
        }),
        takeUntilDestroyed(inject(DestroyRef)),
      )
      .subscribe((answers) => {
        if (answers === null) {
          return;
        }
        const [totals, byModel, byKey, violations] = answers;
        this.violationSeries.set(violations);
        this.totals.set(totals.rows);
        this.byKey.set(byKey.rows);
        this.total.set(byKey.total);
        this.nameKeys(byKey.rows);
        this.byModel.set([...byModel.rows].sort((a, b) => b.requests - a.requests));
        this.updatedAt.set(new Date());
        this.error.set('');
      });
  }

  /** Look the keys' names up again when a key not known yet has traffic (at most every 30 s). */
  private nameKeys(rows: readonly BreakdownRow[]): void {
    const names = this.keyNames();
    const unknown = rows.some((row) => row.group !== null && !names.has(row.group));
    if (!unknown || Date.now() - this.keysAskedAt < 30_000) {
      return;
    }
    this.keysAskedAt = Date.now();
    this.keys.list().subscribe({
      next: (page) => this.keyNames.set(new Map(page.data.map((k) => [k.id, k.name || `${k.prefix}…`]))),
      error: () => undefined,
    });
  }
}
