import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { catchError, concatMap, map, of, switchMap, take, takeWhile, timer } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { SECONDARY_BUTTON } from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { AuditApi, AuditEvent } from '../audit/audit-api';
import { Violation, ViolationsApi } from '../guard/violations-api';
import { formatLatency } from '../overview/summary';
import { UsageRecord } from './usage-api';

const EVENT_POLL_MS = 2000;
const EVENT_POLLS = 10;

/** One request: what it was and how it went, the guard's findings on it and its audit event. */
@Component({
  selector: 'tp-record-details',
  imports: [Alert, Loading],
  template: `
    <section
      aria-labelledby="record-heading"
      class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <div class="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="record-heading" tabindex="-1" #heading class="text-lg font-semibold focus:outline-none">
          Request <span class="font-mono text-base">{{ record().id }}</span>
        </h2>
        <button type="button" (click)="closed.emit()" [class]="secondary">Close details</button>
      </div>
      <dl class="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
        @for (field of fields(); track field.name) {
          <div>
            <dt class="text-slate-500 dark:text-slate-400">{{ field.name }}</dt>
            <dd class="font-mono break-all">{{ field.value }}</dd>
          </div>
        }
      </dl>
      <h3 class="mt-5 mb-2 font-semibold">Guard findings</h3>
      @if (!access.can('audit:read')) {
        <p class="text-sm">Your role cannot read guard findings or the audit trail: ask an owner or admin.</p>
      } @else if (error()) {
        <tp-alert>{{ error() }}</tp-alert>
      } @else if (violations() === null) {
        <tp-loading>Loading findings…</tp-loading>
      } @else if (violations()!.length === 0) {
        <p class="text-sm">The guard found nothing on this request.</p>
      } @else {
        <ul class="list-disc space-y-1 pl-5 text-sm">
          @for (v of violations(); track v.id) {
            <li>
              <span class="font-medium">{{ v.detector }} / {{ v.type }}</span
              >: {{ v.action }}{{ v.shadow ? ' (shadow mode: not enforced)' : '' }} on {{ v.direction }} at
              <code>{{ v.location }}</code>, score {{ v.score.toFixed(2) }}, policy version
              {{ v.policy_version }}
            </li>
          }
        </ul>
      }
      @if (access.can('audit:read') && !error()) {
        <h3 class="mt-5 mb-2 font-semibold">Audit event</h3>
        @if (event() === undefined) {
          <p role="status" class="text-sm text-slate-500">Looking for its audit event…</p>
        } @else if (event() === null) {
          <p class="text-sm">
            No audit event for this request yet: the recorder writes it within seconds, unless the
            installation runs without an audit trail. Close and open the details again in a moment.
          </p>
        } @else {
          <p class="text-sm">
            Event <span class="font-mono" aria-label="Audit event id">{{ event()!.event_id }}</span>, leaf
            {{ event()!.index }} of the audit log.
          </p>
        }
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RecordDetails {
  readonly record = input.required<UsageRecord>();
  readonly closed = output<void>();
  protected readonly access = inject(Access);
  protected readonly secondary = SECONDARY_BUTTON;
  protected readonly violations = signal<Violation[] | null>(null);
  /** undefined while looking, null when there is none. */
  protected readonly event = signal<AuditEvent | null | undefined>(undefined);
  protected readonly error = signal('');
  private readonly heading = viewChild.required<ElementRef<HTMLElement>>('heading');

  protected readonly fields = computed(() => {
    const r = this.record();
    return [
      { name: 'Time', value: formatUtc(r.created_at) },
      { name: 'Status', value: String(r.status_code) + (r.error_class ? ` (${r.error_class})` : '') },
      { name: 'Endpoint', value: r.endpoint },
      { name: 'Model asked for', value: r.alias ?? '—' },
      { name: 'Provider', value: r.provider ?? '—' },
      { name: 'Upstream model', value: r.upstream_model ?? '—' },
      { name: 'Key', value: r.key_id ?? '—' },
      { name: 'Latency', value: formatLatency(r.latency_ms) },
      { name: 'Time to first token', value: formatLatency(r.ttft_ms) },
      {
        name: 'Tokens (prompt / completion / cached)',
        value: `${r.prompt_tokens} / ${r.completion_tokens} / ${r.cached_tokens}`,
      },
      { name: 'Cost', value: `$${r.cost_usd}` },
      { name: 'Attempts', value: `${r.attempts}${r.fallback ? ', fell back' : ''}` },
      { name: 'Served from', value: r.served_from ?? 'provider' },
      { name: 'Streamed', value: r.stream ? 'yes' : 'no' },
      { name: 'Pricing version', value: r.pricing_version ?? '—' },
    ];
  });

  constructor() {
    const violations = inject(ViolationsApi);
    const audit = inject(AuditApi);
    afterNextRender(() => this.heading().nativeElement.focus());
    const record$ = toObservable(this.record);
    record$
      .pipe(
        switchMap((record) => {
          this.violations.set(null);
          this.error.set('');
          if (!this.access.can('audit:read')) {
            return of(null);
          }
          return violations.list({ requestId: record.id }, 200).pipe(
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of(null);
            }),
          );
        }),
        takeUntilDestroyed(),
      )
      .subscribe((page) => page !== null && this.violations.set(page.data));
    // The recorder writes a request's audit event within seconds of its answer: look again a few times.
    record$
      .pipe(
        switchMap((record) => {
          this.event.set(undefined);
          if (!this.access.can('audit:read')) {
            return of(null);
          }
          return timer(0, EVENT_POLL_MS).pipe(
            take(EVENT_POLLS),
            concatMap((_, i) =>
              audit
                .eventOfRequest(record.id, record.created_at)
                .pipe(map((event) => (event === null && i < EVENT_POLLS - 1 ? undefined : event))),
            ),
            takeWhile((event) => event === undefined, true),
            catchError((error: unknown) => {
              this.error.set(apiErrorMessage(error));
              return of(null);
            }),
          );
        }),
        takeUntilDestroyed(),
      )
      .subscribe((event) => event !== undefined && this.event.set(event));
  }
}
