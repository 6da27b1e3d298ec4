import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { catchError, firstValueFrom, of, switchMap } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { EmptyState } from '../../shared/empty-state';
import {
  INPUT,
  LABEL,
  SECONDARY_BUTTON,
  SELECT,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { Pager } from '../../shared/pager';
import { PagerNav } from '../../shared/pager-nav';
import { formatUtc } from '../../shared/time-range';
import { Review, ReviewStatus, ReviewsApi, Verdict } from './reviews-api';

const PAGE_SIZE = 50;

/** Findings of the async detectors: confirm (a real violation) or dismiss (a false positive), with a note. */
@Component({
  selector: 'tp-reviews',
  imports: [ReactiveFormsModule, PageMessages, EmptyState, PagerNav, Loading],
  template: `
    <div class="mb-4 flex flex-wrap items-end gap-4">
      <div class="w-56">
        <label for="r-status" [class]="s.label">Show</label>
        <select id="r-status" [class]="s.select" (change)="show($any($event.target).value)">
          <option value="open" [selected]="status() === 'open'">Open items</option>
          <option value="confirmed" [selected]="status() === 'confirmed'">Confirmed</option>
          <option value="dismissed" [selected]="status() === 'dismissed'">Dismissed</option>
          <option value="" [selected]="status() === undefined">All items</option>
        </select>
      </div>
      @if (!access.can('reviews:write')) {
        <p class="text-sm text-slate-600 dark:text-slate-300">
          Your role ({{ access.role() ?? 'unknown' }}) reads the queue; an owner or admin resolves its items.
        </p>
      }
    </div>
    <tp-page-messages [notice]="message()" [error]="error()" />
    @if (reviews() === null) {
      <tp-loading>Loading the review queue…</tp-loading>
    } @else if (reviews()!.length === 0) {
      <tp-empty-state>
        @if (status() === 'open') {
          Nothing waits for review. Items arrive when a detector that the tenant's policy runs in
          <code>mode: async</code> finds something on a request.
        } @else {
          No items in this state yet.
        }
      </tp-empty-state>
    } @else {
      <div [class]="s.frame">
        <table [class]="s.table">
          <caption class="sr-only">
            Review items, oldest first, page
            {{
              pager.page()
            }}
          </caption>
          <thead [class]="s.thead">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">Raised</th>
              <th scope="col" class="px-4 py-2 font-medium">Detector</th>
              <th scope="col" class="px-4 py-2 font-medium">Type</th>
              <th scope="col" class="px-4 py-2 font-medium">Direction</th>
              <th scope="col" class="px-4 py-2 text-right font-medium">Score</th>
              <th scope="col" class="px-4 py-2 font-medium">Status</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Review</span></th>
            </tr>
          </thead>
          <tbody [class]="s.tbody">
            @for (item of reviews(); track item.id) {
              <tr>
                <td class="px-4 py-2 whitespace-nowrap">{{ utc(item.created_at) }}</td>
                <td class="px-4 py-2">{{ item.detector }}</td>
                <td class="px-4 py-2 font-mono">{{ item.type }}</td>
                <td class="px-4 py-2">{{ item.direction }}</td>
                <td class="px-4 py-2 text-right tabular-nums">{{ item.score.toFixed(2) }}</td>
                <td class="px-4 py-2">{{ item.status }}</td>
                <td class="px-4 py-2 text-right">
                  <button
                    type="button"
                    (click)="open(item)"
                    [attr.aria-label]="
                      (action(item) === 'Review' ? 'Review ' : 'Details of ') + item.type + ' ' + item.id
                    "
                    [attr.aria-expanded]="selected()?.id === item.id"
                    class="underline"
                  >
                    {{ action(item) }}
                  </button>
                </td>
              </tr>
            }
          </tbody>
        </table>
      </div>
      <tp-pager-nav
        [pager]="pager"
        label="Pages of review items"
        previousLabel="Previous page"
        nextLabel="Next page"
      />
    }
    @if (selected(); as item) {
      <section
        aria-labelledby="review-heading"
        class="mt-6 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
      >
        <div class="mb-3 flex items-center justify-between gap-2">
          <h3 id="review-heading" class="text-lg font-semibold">{{ item.detector }} / {{ item.type }}</h3>
          <button type="button" (click)="selected.set(null)" [class]="s.secondary">Close</button>
        </div>
        <dl class="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-3">
          <div>
            <dt class="text-slate-500 dark:text-slate-400">Request</dt>
            <dd class="font-mono break-all">{{ item.request_id }}</dd>
          </div>
          <div>
            <dt class="text-slate-500 dark:text-slate-400">Where</dt>
            <dd class="font-mono">{{ item.direction }}: {{ item.location }}</dd>
          </div>
          <div>
            <dt class="text-slate-500 dark:text-slate-400">Policy version</dt>
            <dd>{{ item.policy_version }}</dd>
          </div>
          @if (item.status !== 'open') {
            <div>
              <dt class="text-slate-500 dark:text-slate-400">Resolved</dt>
              <dd>{{ item.status }} {{ item.resolved_at ? 'on ' + utc(item.resolved_at) : '' }}</dd>
            </div>
            <div class="sm:col-span-2">
              <dt class="text-slate-500 dark:text-slate-400">Note</dt>
              <dd>{{ item.note || '—' }}</dd>
            </div>
          }
        </dl>
        @if (item.status === 'open' && access.can('reviews:write')) {
          <form [formGroup]="form" class="mt-4 space-y-3" (ngSubmit)="resolve(item, 'confirmed')">
            <div>
              <label for="review-note" [class]="s.label">Note (why, for the next person who looks)</label>
              <textarea id="review-note" rows="3" formControlName="note" [class]="s.input"></textarea>
            </div>
            <div class="flex flex-wrap gap-2">
              <button
                type="submit"
                [disabled]="busy()"
                class="rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white hover:bg-red-500 disabled:opacity-50"
              >
                Confirm violation
              </button>
              <button
                type="button"
                [disabled]="busy()"
                (click)="resolve(item, 'dismissed')"
                [class]="s.secondary"
              >
                Dismiss as false positive
              </button>
            </div>
          </form>
        }
      </section>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Reviews {
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly access = inject(Access);
  protected readonly utc = formatUtc;
  protected readonly status = signal<ReviewStatus | undefined>('open');
  protected readonly pager = new Pager();
  protected readonly reviews = signal<Review[] | null>(null);
  protected readonly selected = signal<Review | null>(null);
  protected readonly error = signal('');
  protected readonly message = signal('');
  protected readonly busy = signal(false);
  protected readonly form = inject(NonNullableFormBuilder).group({ note: ['', Validators.maxLength(2000)] });
  private readonly reload = signal(0);
  private readonly api = inject(ReviewsApi);

  constructor() {
    const page = computed(() => ({ status: this.status(), cursor: this.pager.current(), n: this.reload() }));
    toObservable(page)
      .pipe(
        switchMap(({ status, cursor }) =>
          this.api.list(status, undefined, PAGE_SIZE, cursor).pipe(
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
          this.reviews.set(this.reviews() ?? []);
          return;
        }
        this.reviews.set(answer.data);
        this.pager.nextCursor.set(answer.next_cursor);
      });
  }

  protected show(status: string): void {
    this.status.set((status || undefined) as ReviewStatus | undefined);
    this.selected.set(null);
    this.message.set('');
    this.pager.reset();
  }

  /** What the row's button does: review an open item (for who may), or show its details. */
  protected action(item: Review): string {
    return item.status === 'open' && this.access.can('reviews:write') ? 'Review' : 'Details';
  }

  protected open(item: Review): void {
    this.selected.set(item);
    this.form.reset();
  }

  protected async resolve(item: Review, verdict: Verdict): Promise<void> {
    if (!this.access.can('reviews:write')) {
      return;
    }
    if (this.form.invalid) {
      this.error.set('A note has at most 2,000 characters.');
      return;
    }
    this.busy.set(true);
    this.error.set('');
    try {
      const resolved = await firstValueFrom(this.api.resolve(item.id, verdict, this.form.getRawValue().note));
      this.message.set(
        `${resolved.detector} / ${resolved.type} is ${resolved.status === 'confirmed' ? 'confirmed as a violation' : 'dismissed as a false positive'}.`,
      );
      this.selected.set(null);
      this.reload.update((n) => n + 1);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
