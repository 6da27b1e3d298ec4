import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { RouterLink } from '@angular/router';

import { EmptyState } from '../../shared/empty-state';
import { formatUtc } from '../../shared/time-range';
import type { ViolationSeries } from '../guard/violations-api';
import { KINDS, chartLabel, stackedBars, totals, violationBuckets } from './violation-series';
import { formatCount } from './summary';

const CHART = { width: 720, height: 120 };

/** The overview's "Violations over time": stacked bars per hour or day, and a legend with the sums. */
@Component({
  selector: 'tp-violations-chart',
  imports: [EmptyState, RouterLink],
  template: `
    @if (series(); as ts) {
      <dl class="mb-3 flex flex-wrap gap-x-6 gap-y-2 text-sm">
        @for (kind of kinds; track kind.kind) {
          <div class="flex items-center gap-2">
            <dt class="flex items-center gap-2 text-slate-500 dark:text-slate-400">
              <span class="inline-block h-3 w-3 rounded-sm" [class]="kind.fill" aria-hidden="true"></span>
              {{ kind.label }}
            </dt>
            <dd class="font-semibold tabular-nums" [attr.aria-label]="kind.label + ' violations'">
              {{ count(sums()[kind.kind]) }}
            </dd>
          </div>
        }
      </dl>
      @if (ts.points.length === 0) {
        <tp-empty-state>
          No guard violations in this range. When the policy blocks, redacts or flags something in a request
          or an answer, it shows here within seconds; the policy is under
          <a routerLink="/guard" class="text-indigo-600 underline dark:text-indigo-400">Guard</a>.
        </tp-empty-state>
      } @else {
        <svg
          role="img"
          [attr.aria-label]="label()"
          [attr.viewBox]="'0 0 ' + chart.width + ' ' + chart.height"
          class="h-32 w-full rounded-lg border border-slate-200 bg-white p-2 dark:border-slate-800 dark:bg-slate-900"
          preserveAspectRatio="none"
        >
          @for (segment of segments(); track $index) {
            <rect
              [attr.x]="segment.x"
              [attr.y]="segment.y"
              [attr.width]="segment.width"
              [attr.height]="segment.height"
              [attr.class]="segment.fill"
            >
              <title>{{ segment.label }}</title>
            </rect>
          }
        </svg>
        <p class="mt-1 flex justify-between text-xs text-slate-500 dark:text-slate-400" aria-hidden="true">
          <span>{{ utc(ts.since) }}</span><span>{{ utc(ts.until) }}</span>
        </p>
      }
    } @else {
      <p class="text-sm text-slate-500 dark:text-slate-400">Loading…</p>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ViolationsChart {
  readonly series = input.required<ViolationSeries | null>();
  protected readonly kinds = KINDS;
  protected readonly chart = CHART;
  protected readonly count = formatCount;
  protected readonly utc = formatUtc;
  private readonly buckets = computed(() => {
    const ts = this.series();
    return ts === null ? [] : violationBuckets(ts.points, ts.since, ts.until, ts.granularity);
  });
  protected readonly sums = computed(() => totals(this.buckets()));
  protected readonly segments = computed(() => {
    const ts = this.series();
    return ts === null ? [] : stackedBars(this.buckets(), ts.granularity, CHART.width, CHART.height);
  });
  protected readonly label = computed(() => chartLabel(this.sums(), this.series()?.granularity ?? 'hour'));
}
