import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import { catchError, combineLatest, forkJoin, of, switchMap, timer } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Alert } from '../../shared/alert';
import { StatCard } from '../../shared/stat-card';
import { RANGES } from '../../shared/time-range';
import { errorRate, formatCost, formatCount, formatLatency, summarize } from './summary';
import { AggregateRow, UsageApi } from '../usage/usage-api';

/** How often the figures are fetched again: new traffic shows within this time. */
export const REFRESH_MS = 3000;

@Component({
  selector: 'tp-overview',
  imports: [StatCard, Alert, RouterLink],
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
    @if (error()) {
      <div class="mb-4">
        <tp-alert>{{ error() }}</tp-alert>
      </div>
    }
    <dl class="grid grid-cols-2 gap-4 md:grid-cols-5">
      <div tpStatCard label="Requests" [value]="count(summary().requests)"></div>
      <div tpStatCard label="Errors" [value]="count(summary().errors)" [hint]="rate()"></div>
      <div tpStatCard label="Tokens" [value]="count(summary().tokens)"></div>
      <div tpStatCard label="Cost" [value]="cost(summary().costUsd)"></div>
      <div tpStatCard label="Mean latency" [value]="latency(summary().avgLatencyMs)"></div>
    </dl>
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
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Overview {
  protected readonly ranges = RANGES;
  protected readonly hours = signal<number>(24);
  protected readonly totals = signal<AggregateRow[]>([]);
  protected readonly byModel = signal<AggregateRow[]>([]);
  protected readonly updatedAt = signal<Date | null>(null);
  protected readonly error = signal('');
  protected readonly summary = computed(() => summarize(this.totals()));
  protected readonly rate = computed(() => errorRate(this.summary()));
  protected readonly count = formatCount;
  protected readonly cost = formatCost;
  protected readonly latency = formatLatency;
  private readonly usage = inject(UsageApi);

  constructor() {
    combineLatest([toObservable(this.hours), timer(0, REFRESH_MS)])
      .pipe(
        switchMap(([hours]) => {
          const since = new Date(Date.now() - hours * 3_600_000);
          return forkJoin([this.usage.aggregates('day', since), this.usage.aggregates('model', since)]).pipe(
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
        const [totals, byModel] = answers;
        this.totals.set(totals.rows);
        this.byModel.set([...byModel.rows].sort((a, b) => b.requests - a.requests));
        this.updatedAt.set(new Date());
        this.error.set('');
      });
  }
}
