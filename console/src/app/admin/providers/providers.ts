import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  computed,
  inject,
  signal,
} from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { EmptyState } from '../../shared/empty-state';
import { TABLE, TABLE_FRAME, TBODY, THEAD } from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { REFRESH_MS, ProvidersHealth, backendText, byUrgency, percent, stateText } from './breakers';
import { ProvidersApi } from './providers-api';

const BADGE: Record<string, string> = {
  closed: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100',
  half_open: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  open: 'bg-red-100 text-red-900 dark:bg-red-900 dark:text-red-100',
};

/** Each provider target's circuit breaker, asked again every few seconds. */
@Component({
  selector: 'tp-admin-providers',
  imports: [Alert, EmptyState, Loading],
  template: `
    <h1 class="mb-2 text-2xl font-semibold">Provider health</h1>
    <p class="mb-6 text-sm text-slate-600 dark:text-slate-300">
      A target's breaker opens when too many of its calls fail or are slow; while open, routes skip it and
      fail over to their next target. Refreshed every {{ refreshS }} seconds.
    </p>
    @if (error()) {
      <div class="mb-4">
        <tp-alert>{{ error() }} The page keeps trying.</tp-alert>
      </div>
    }
    @if (health(); as health) {
      <p class="mb-4 text-sm" role="status" aria-live="polite">
        {{ backend() }} Last checked {{ utc(health.checked_at) }}.
      </p>
      @if (breakers().length === 0) {
        <tp-empty-state>
          No provider targets yet: the breakers appear once the configuration routes a model to a provider (or
          a tenant's route is first used).
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              Circuit breakers, open ones first
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Target</th>
                <th scope="col" class="px-4 py-2 font-medium">State</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Calls in window</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Failures</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Slow calls</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Failures in a row</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Openings in a row</th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (breaker of breakers(); track breaker.target) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-mono font-medium whitespace-nowrap">
                    {{ breaker.target }}
                  </th>
                  <td class="px-4 py-2">
                    <span
                      class="rounded-full px-2 py-0.5 text-xs font-medium"
                      [class]="badge[breaker.state]"
                      >{{ breaker.state.replace('_', '-') }}</span
                    >
                    <span class="ml-2 text-slate-600 dark:text-slate-300">{{ describe(breaker) }}</span>
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ breaker.calls }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ percent(breaker.failure_rate) }}
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ percent(breaker.slow_call_rate) }}
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">
                    {{ breaker.consecutive_failures }}
                  </td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ breaker.openings }}</td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    } @else if (!error()) {
      <tp-loading>Loading the breakers…</tp-loading>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Providers implements OnInit {
  protected readonly s = { frame: TABLE_FRAME, table: TABLE, thead: THEAD, tbody: TBODY };
  protected readonly refreshS = REFRESH_MS / 1000;
  protected readonly utc = formatUtc;
  protected readonly percent = percent;
  protected readonly badge = BADGE;
  protected readonly health = signal<ProvidersHealth | null>(null);
  protected readonly error = signal('');
  protected readonly breakers = computed(() => byUrgency(this.health()?.breakers ?? []));
  protected readonly backend = computed(() => backendText(this.health()?.backend ?? ''));
  private readonly api = inject(ProvidersApi);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.stopped = true;
      clearTimeout(this.timer);
    });
  }

  async ngOnInit(): Promise<void> {
    await this.refresh();
  }

  protected describe(breaker: ProvidersHealth['breakers'][number]): string {
    return stateText(breaker);
  }

  /** Ask now, then again `REFRESH_MS` after the answer (never two requests at once). */
  async refresh(): Promise<void> {
    try {
      this.health.set(await firstValueFrom(this.api.health()));
      this.error.set('');
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.refresh(), REFRESH_MS);
    }
  }
}
