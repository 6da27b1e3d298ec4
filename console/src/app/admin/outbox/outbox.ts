import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { EmptyState } from '../../shared/empty-state';
import { SECONDARY_BUTTON } from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Piece, linkify } from './links';
import { OutboxApi, OutboxMail } from './outbox-api';

/** The development outbox: invitations and password resets kept instead of sent, with working links. */
@Component({
  selector: 'tp-admin-outbox',
  imports: [PageMessages, EmptyState, Loading],
  template: `
    <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 class="text-2xl font-semibold">Outbox</h1>
        <p class="mt-1 text-sm text-slate-600 dark:text-slate-300">
          Without an SMTP server (in development), the installation keeps its mail here instead of sending it:
          the newest first, with links that work.
        </p>
      </div>
      <button type="button" [class]="secondary" (click)="load()">Refresh</button>
    </div>
    <tp-page-messages [error]="error()" />
    @if (enabled() === null) {
      @if (!error()) {
        <tp-loading>Loading the outbox…</tp-loading>
      }
    } @else if (!enabled()) {
      <tp-empty-state>
        Mail is sent, not kept: this installation has an SMTP server (<code>mail.host</code>), or runs in
        production, where an outbox of one-time links is not kept. Look for the mails in the recipients'
        mailboxes.
      </tp-empty-state>
    } @else if (mails().length === 0) {
      <tp-empty-state>
        No mail yet. Create a tenant with an owner's e-mail address, or ask for a password reset: the mail
        appears here.
      </tp-empty-state>
    } @else {
      <ul class="space-y-3" aria-label="Mails, newest first">
        @for (mail of mails(); track mail.id) {
          <li class="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <details [open]="$first">
              <summary class="cursor-pointer px-4 py-3">
                <span class="font-medium">{{ mail.subject }}</span>
                <span class="block text-sm text-slate-600 dark:text-slate-300"
                  >To {{ mail.to }} · {{ utc(mail.created_at) }}</span
                >
              </summary>
              <div
                class="overflow-x-auto border-t border-slate-200 px-4 py-3 text-sm whitespace-pre-wrap dark:border-slate-800"
              >
                @for (piece of body(mail); track $index) {
                  @if (piece.href) {
                    <a [href]="piece.href" class="text-indigo-700 underline dark:text-indigo-300">{{
                      piece.text
                    }}</a>
                  } @else {
                    <span>{{ piece.text }}</span>
                  }
                }
              </div>
            </details>
          </li>
        }
      </ul>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Outbox implements OnInit {
  protected readonly secondary = SECONDARY_BUTTON;
  protected readonly utc = formatUtc;
  protected readonly enabled = signal<boolean | null>(null);
  protected readonly mails = signal<OutboxMail[]>([]);
  protected readonly error = signal('');
  private readonly api = inject(OutboxApi);
  private readonly bodies = new Map<string, Piece[]>();

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  protected body(mail: OutboxMail): Piece[] {
    let pieces = this.bodies.get(mail.id);
    if (pieces === undefined) {
      pieces = linkify(mail.text);
      this.bodies.set(mail.id, pieces);
    }
    return pieces;
  }

  async load(): Promise<void> {
    this.error.set('');
    try {
      const outbox = await firstValueFrom(this.api.recent());
      this.enabled.set(outbox.enabled);
      this.mails.set(outbox.data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }
}
