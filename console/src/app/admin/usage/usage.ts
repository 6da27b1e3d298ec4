import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { EmptyState } from '../../shared/empty-state';
import { SELECT, TABLE, TABLE_FRAME, TBODY, THEAD } from '../../shared/form-styles';
import { RANGES, formatUtc, since } from '../../shared/time-range';
import { AdminUsageApi, InstallationUsage } from './usage-api';
import { count, usageLines, usd } from './usage-table';

/** Usage summed per tenant over a time range: who sends what, and what it costs. */
@Component({
  selector: 'tp-admin-usage',
  imports: [PageMessages, EmptyState, Loading],
  template: `
    <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 class="text-2xl font-semibold">Usage across tenants</h1>
        <p class="mt-1 text-sm text-slate-600 dark:text-slate-300">
          Totals per tenant from the hourly roll-ups; a tenant's requests and keys stay its own.
        </p>
      </div>
      <div>
        <label for="admin-range" class="block text-sm font-medium">Time range</label>
        <select id="admin-range" [class]="s.select + ' w-44'" (change)="choose(+$any($event.target).value)">
          @for (range of ranges; track range.hours) {
            <option [value]="range.hours" [selected]="range.hours === hours()">
              {{ range.label }}
            </option>
          }
        </select>
      </div>
    </div>
    <tp-page-messages [error]="error()" />
    @if (usage(); as usage) {
      <p class="mb-4 text-sm">
        {{ count(usage.total_requests) }} requests, {{ usd(usage.total_cost_usd) }} from
        {{ utc(usage.since) }} to {{ utc(usage.until) }}.
      </p>
      @if (lines().length === 0) {
        <tp-empty-state>
          No tenant sent a request in this range. Pick a longer range, or check that the tenants' keys are in
          use.
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              Usage per tenant, costliest first
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Tenant</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Requests</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Share</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Errors</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Tokens</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Cost</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Share of cost</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Violations</th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (line of lines(); track line.tenant.tenant_id) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-medium">
                    {{ line.tenant.name }}
                    <span class="block text-xs font-normal text-slate-500 dark:text-slate-400">{{
                      line.tenant.slug
                    }}</span>
                  </th>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(line.tenant.requests) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ line.requestShare }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(line.tenant.errors) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(line.tokens) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ usd(line.tenant.cost_usd) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ line.costShare }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ count(line.tenant.violations) }}
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    } @else if (!error()) {
      <tp-loading>Loading usage…</tp-loading>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminUsage implements OnInit {
  protected readonly s = { select: SELECT, frame: TABLE_FRAME, table: TABLE, thead: THEAD, tbody: TBODY };
  protected readonly ranges = RANGES;
  protected readonly utc = formatUtc;
  protected readonly count = count;
  protected readonly usd = usd;
  protected readonly hours = signal<number>(24);
  protected readonly usage = signal<InstallationUsage | null>(null);
  protected readonly lines = computed(() => usageLines(this.usage()?.tenants ?? []));
  protected readonly error = signal('');
  private readonly api = inject(AdminUsageApi);

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  async choose(hours: number): Promise<void> {
    this.hours.set(hours);
    await this.load();
  }

  private async load(): Promise<void> {
    this.error.set('');
    try {
      this.usage.set(await firstValueFrom(this.api.perTenant(since(this.hours()))));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
