import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { FormArray, FormControl, NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { CopyButton } from '../../shared/copy-button';
import { EmptyState } from '../../shared/empty-state';
import { Panel } from '../../shared/panel';
import {
  INPUT,
  LABEL,
  PRIMARY_BUTTON,
  SECONDARY_BUTTON,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { Deliveries } from './deliveries';
import { CreatedWebhook, Delivery, TOPICS, Topic, Webhook, WebhooksApi } from './webhooks-api';

/** The topics ticked in the form, in the server's order. */
export function chosenTopics(ticked: readonly boolean[]): Topic[] {
  return TOPICS.filter((_, i) => ticked[i]).map((t) => t.value);
}

/**
 * Webhooks: the tenant's subscriptions (create with the signing secret shown once, pause, resume,
 * delete), one subscription's deliveries, and the dead letters with replay.
 */
@Component({
  selector: 'tp-webhooks',
  imports: [
    ReactiveFormsModule,
    PageMessages,
    ConfirmButton,
    CopyButton,
    Deliveries,
    EmptyState,
    Loading,
    Panel,
  ],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Webhooks</h1>
    <tp-page-messages [notice]="message()" [error]="error()" />
    @if (access.can('webhooks:write')) {
      <tp-panel headingId="new-webhook" heading="Subscribe a URL">
        <form [formGroup]="form" (ngSubmit)="create()" class="grid gap-4">
          <div>
            <label for="webhook-url" [class]="s.label">URL</label>
            <input
              id="webhook-url"
              type="url"
              formControlName="url"
              placeholder="https://hooks.example.com/trueport"
              [class]="s.input"
            />
          </div>
          <fieldset>
            <legend [class]="s.label">Topics</legend>
            <div class="mt-1 grid gap-1 sm:grid-cols-2" formArrayName="topics">
              @for (topic of topics; track topic.value; let i = $index) {
                <label class="flex items-center gap-2 text-sm">
                  <input type="checkbox" [formControlName]="i" />
                  <span
                    ><code>{{ topic.value }}</code> — {{ topic.label }}</span
                  >
                </label>
              }
            </div>
          </fieldset>
          <div>
            <label for="webhook-description" [class]="s.label">Description</label>
            <input
              id="webhook-description"
              formControlName="description"
              maxlength="200"
              placeholder="e.g. billing sync"
              [class]="s.input"
            />
          </div>
          <div>
            <button type="submit" [disabled]="busy()" [class]="s.button">Subscribe</button>
          </div>
        </form>
        @if (created(); as hook) {
          <div
            class="mt-4 rounded-md border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
            role="status"
          >
            <p class="mb-2 text-sm font-medium">
              The signing secret of {{ hook.url }}. Store it now: it is shown only this once, and your
              receiver checks each request's signature with it.
            </p>
            <div class="flex flex-wrap items-center gap-2">
              <code
                aria-label="Signing secret"
                class="rounded bg-white px-2 py-1 font-mono text-sm break-all dark:bg-slate-900"
                >{{ hook.secret }}</code
              >
              <tp-copy-button [text]="hook.secret" label="Copy secret" />
              <button type="button" (click)="created.set(null)" class="text-sm underline">Done</button>
            </div>
          </div>
        }
      </tp-panel>
    }

    <section aria-labelledby="subscriptions" class="mb-8">
      <h2 id="subscriptions" class="mb-3 text-lg font-semibold">Subscriptions</h2>
      @if (webhooks() === null) {
        <tp-loading>Loading the subscriptions…</tp-loading>
      } @else if (webhooks()!.length === 0) {
        <tp-empty-state>
          No URL receives this tenant's events yet.
          @if (access.can('webhooks:write')) {
            Subscribe one above: it gets a signed POST for each event of its topics.
          } @else {
            An owner or admin subscribes URLs.
          }
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              The tenant's webhook subscriptions
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">URL</th>
                <th scope="col" class="px-4 py-2 font-medium">Topics</th>
                <th scope="col" class="px-4 py-2 font-medium">Description</th>
                <th scope="col" class="px-4 py-2 font-medium">Active</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (hook of webhooks(); track hook.id) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-mono font-normal break-all">
                    {{ hook.url }}
                  </th>
                  <td class="px-4 py-2">{{ hook.topics.join(', ') }}</td>
                  <td class="px-4 py-2">{{ hook.description || '—' }}</td>
                  <td class="px-4 py-2">{{ hook.active ? 'yes' : 'paused' }}</td>
                  <td class="px-4 py-2 text-right whitespace-nowrap">
                    <button
                      type="button"
                      [class]="s.secondary"
                      [attr.aria-label]="'Deliveries of ' + hook.url"
                      [attr.aria-pressed]="shown()?.id === hook.id"
                      (click)="showDeliveries(hook)"
                    >
                      Deliveries
                    </button>
                    @if (access.can('webhooks:write')) {
                      <button
                        type="button"
                        class="ml-2"
                        [class]="s.secondary"
                        [attr.aria-label]="(hook.active ? 'Pause ' : 'Resume ') + hook.url"
                        (click)="setActive(hook, !hook.active)"
                      >
                        {{ hook.active ? 'Pause' : 'Resume' }}
                      </button>
                      <span class="ml-2">
                        <tp-confirm-button
                          label="Delete"
                          [name]="'Delete ' + hook.url"
                          [confirm]="'Confirm deleting ' + hook.url"
                          (confirmed)="remove(hook)"
                        />
                      </span>
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>

    @if (shown(); as hook) {
      <section aria-labelledby="deliveries" class="mb-8">
        <h2 id="deliveries" class="mb-1 text-lg font-semibold">Deliveries of {{ hook.url }}</h2>
        <div class="mb-3 flex items-center gap-3 text-sm">
          <span>Oldest first; a failed one is tried again 5 times, then parked as a dead letter.</span>
          <button type="button" [class]="s.secondary" (click)="showDeliveries(hook)">Refresh</button>
        </div>
        @if (deliveries().length === 0) {
          <tp-empty-state>No event was delivered to this URL yet.</tp-empty-state>
        } @else {
          <tp-deliveries [deliveries]="deliveries()" caption="Deliveries of this subscription" />
        }
      </section>
    }

    <section aria-labelledby="dead-letters">
      <h2 id="dead-letters" class="mb-1 text-lg font-semibold">Dead letters</h2>
      <div class="mb-3 flex items-center gap-3 text-sm">
        <span>Deliveries that failed every attempt. A replay sends one again from its first attempt.</span>
        <button type="button" [class]="s.secondary" (click)="loadDead()">Refresh</button>
      </div>
      @if (dead().length === 0) {
        <tp-empty-state>No dead letter: every delivery got through or is still being tried.</tp-empty-state>
      } @else {
        <tp-deliveries
          [deliveries]="dead()"
          caption="Dead letters"
          [mayReplay]="access.can('webhooks:write')"
          (replay)="replay($event)"
        />
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Webhooks implements OnInit {
  protected readonly access = inject(Access);
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly topics = TOPICS;
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    url: this.fb.control(''),
    topics: new FormArray(TOPICS.map((_, i) => new FormControl(i === 0, { nonNullable: true }))),
    description: this.fb.control(''),
  });
  protected readonly webhooks = signal<Webhook[] | null>(null);
  protected readonly created = signal<CreatedWebhook | null>(null);
  protected readonly shown = signal<Webhook | null>(null);
  protected readonly deliveries = signal<Delivery[]>([]);
  protected readonly dead = signal<Delivery[]>([]);
  protected readonly error = signal('');
  protected readonly message = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(WebhooksApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.load(), this.loadDead()]);
  }

  async create(): Promise<void> {
    const { url, topics, description } = this.form.getRawValue();
    const chosen = chosenTopics(topics);
    this.error.set('');
    this.message.set('');
    if (url.trim() === '' || chosen.length === 0) {
      this.error.set('A subscription needs a URL and at least one topic.');
      return;
    }
    await this.act(async () => {
      this.created.set(
        await firstValueFrom(this.api.create({ url: url.trim(), topics: chosen, description })),
      );
      this.form.controls.url.reset();
      this.form.controls.description.reset();
    });
  }

  async setActive(hook: Webhook, active: boolean): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.setActive(hook.id, active));
      this.message.set(active ? `${hook.url} receives events again.` : `${hook.url} is paused.`);
    });
  }

  async remove(hook: Webhook): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.remove(hook.id));
      if (this.shown()?.id === hook.id) {
        this.shown.set(null);
      }
      this.message.set(`${hook.url} is deleted, with its deliveries.`);
    });
    await this.loadDead();
  }

  async showDeliveries(hook: Webhook): Promise<void> {
    try {
      const page = await firstValueFrom(this.api.deliveries(hook.id));
      this.shown.set(hook);
      this.deliveries.set(page.data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  async replay(delivery: Delivery): Promise<void> {
    this.error.set('');
    this.message.set('');
    try {
      const replayed = await firstValueFrom(this.api.replay(delivery.id));
      this.message.set(
        `Replayed: the delivery of ${delivery.topic} is ${replayed.status} again and will be sent within seconds.`,
      );
      await this.loadDead();
      const hook = this.shown();
      if (hook !== null) {
        await this.showDeliveries(hook);
      }
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  async loadDead(): Promise<void> {
    try {
      this.dead.set((await firstValueFrom(this.api.deadLetters())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async act(step: () => Promise<void>): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.message.set('');
    try {
      await step();
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      this.webhooks.set((await firstValueFrom(this.api.list())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.webhooks.set(this.webhooks() ?? []);
    }
  }
}
