import { ChangeDetectionStrategy, Component, OnInit, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorCode, apiErrorMessage } from '../../api/errors';
import { Session } from '../../core/session';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { CopyButton } from '../../shared/copy-button';
import { EmptyState } from '../../shared/empty-state';
import { SECONDARY_BUTTON, SELECT, TABLE, TABLE_FRAME, TBODY, THEAD } from '../../shared/form-styles';
import { Pager } from '../../shared/pager';
import { PagerNav } from '../../shared/pager-nav';
import { RANGES, formatUtc, since } from '../../shared/time-range';
import { AuditApi, AuditEvent, AuditFilter, Checkpoint, InclusionProof } from './audit-api';
import { describeEvent } from './event-text';
import { ProofCheck, checkProof } from './proof';

const PAGE_SIZE = 50;

interface Checked {
  event: AuditEvent;
  proof: InclusionProof;
  check: ProofCheck;
}

/**
 * The audit trail: the tenant's events (every call and every change, in log order), the latest
 * signed checkpoint, an inclusion proof of one event checked here in the browser, and how to export
 * the log and verify it offline with nothing but the public key.
 */
@Component({
  selector: 'tp-audit',
  imports: [PageMessages, CopyButton, EmptyState, PagerNav, Loading],
  template: `
    <h1 class="mb-2 text-2xl font-semibold">Audit</h1>
    <p class="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-300">
      Every call through the gateway and every change to this tenant is an event in an append-only Merkle tree
      log (RFC 9162). Signed checkpoints fix the log's state; an inclusion proof shows that one event is in
      it, unchanged.
    </p>

    <section aria-labelledby="checkpoint-title" class="mb-8">
      <h2 id="checkpoint-title" class="mb-3 text-lg font-semibold">Latest signed checkpoint</h2>
      @if (checkpoint(); as cp) {
        <dl
          class="grid gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm md:grid-cols-[max-content_1fr] dark:border-slate-800 dark:bg-slate-900"
        >
          <dt class="font-medium">Tree size</dt>
          <dd class="tabular-nums">{{ cp.tree_size }} events (the whole installation's log)</dd>
          <dt class="font-medium">Root hash</dt>
          <dd class="font-mono break-all">{{ cp.root_hash }}</dd>
          <dt class="font-medium">Signed at</dt>
          <dd>{{ cp.timestamp }}</dd>
          <dt class="font-medium">Signing key</dt>
          <dd class="font-mono">{{ cp.key_id }} (Ed25519)</dd>
          <dt class="font-medium">Origin</dt>
          <dd class="font-mono">{{ cp.origin }}</dd>
        </dl>
      } @else if (checkpointMissing()) {
        <tp-empty-state>
          No checkpoint has been signed yet. The installation signs one periodically (or run
          <code>trueport audit checkpoint</code>); checking an event below signs one that covers it.
        </tp-empty-state>
      } @else {
        <tp-loading>Loading the checkpoint…</tp-loading>
      }
    </section>

    <section aria-labelledby="events-title" class="mb-8">
      <div class="mb-3 flex flex-wrap items-end gap-4">
        <h2 id="events-title" class="mr-auto text-lg font-semibold">Events</h2>
        <div>
          <label for="audit-kind" class="block text-sm font-medium">Kind</label>
          <select id="audit-kind" (change)="setKind($any($event.target).value)" [class]="styles.select">
            <option value="">All events</option>
            <option value="data_plane">Calls (data plane)</option>
            <option value="control_plane">Changes (control plane)</option>
          </select>
        </div>
        <div>
          <label for="audit-range" class="block text-sm font-medium">Time range</label>
          <select id="audit-range" (change)="setRange(+$any($event.target).value)" [class]="styles.select">
            <option value="0">All time</option>
            @for (range of ranges; track range.hours) {
              <option [value]="range.hours">{{ range.label }}</option>
            }
          </select>
        </div>
        <button type="button" (click)="load()" [class]="styles.secondary">Refresh</button>
      </div>
      <tp-page-messages [error]="error()" />
      @if (events() === null) {
        <tp-loading>Loading events…</tp-loading>
      } @else if (events()!.length === 0) {
        <tp-empty-state>
          No event matches. Calls through the gateway with one of this tenant's keys, and changes to its keys,
          members, routes or settings, appear here within seconds; widen the time range or the kind to see
          older ones.
        </tp-empty-state>
      } @else {
        <div [class]="styles.frame">
          <table [class]="styles.table">
            <caption class="sr-only">
              The tenant's audit events
            </caption>
            <thead [class]="styles.thead">
              <tr>
                <th scope="col" class="px-4 py-2 text-right font-medium">#</th>
                <th scope="col" class="px-4 py-2 font-medium">Time</th>
                <th scope="col" class="px-4 py-2 font-medium">Kind</th>
                <th scope="col" class="px-4 py-2 font-medium">What</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Proof</span></th>
              </tr>
            </thead>
            <tbody [class]="styles.tbody">
              @for (event of events(); track event.event_id) {
                <tr>
                  <td class="px-4 py-2 text-right tabular-nums">{{ event.tenant_seq }}</td>
                  <td class="px-4 py-2 whitespace-nowrap">{{ utc(event.ts) }}</td>
                  <td class="px-4 py-2">{{ event.kind === 'data_plane' ? 'call' : 'change' }}</td>
                  <td class="px-4 py-2 font-mono text-xs">{{ describe(event) }}</td>
                  <td class="px-4 py-2 text-right">
                    <button
                      type="button"
                      (click)="check(event)"
                      [disabled]="checking() !== null"
                      [attr.aria-label]="'Check inclusion of event ' + event.tenant_seq"
                      [class]="styles.secondary"
                    >
                      {{ checking() === event.event_id ? 'Checking…' : 'Check inclusion' }}
                    </button>
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
        <tp-pager-nav [pager]="pager" label="Pages of events" (moved)="load()" />
      }
    </section>

    @if (checked(); as result) {
      <section
        aria-labelledby="inclusion-title"
        class="mb-8 rounded-lg border p-4"
        [class]="
          verified()
            ? 'border-emerald-300 bg-emerald-50 dark:border-emerald-800 dark:bg-emerald-950'
            : 'border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950'
        "
      >
        <h2 id="inclusion-title" class="mb-2 text-lg font-semibold">
          Inclusion of event {{ result.event.tenant_seq }}: {{ verified() ? 'verified' : 'NOT verified' }}
        </h2>
        <ul class="list-disc space-y-1 pl-5 text-sm">
          <li>
            The event's text {{ result.check.leafMatches ? 'hashes to' : 'does NOT hash to' }} leaf
            {{ result.proof.leaf_index }}'s hash.
          </li>
          <li>
            Its audit path ({{ result.proof.audit_path.length }} hashes)
            {{ result.check.rootMatches ? 'leads to' : 'does NOT lead to' }} the root hash of the checkpoint
            of {{ result.proof.tree_size }} events.
          </li>
          <li>
            @switch (result.check.signature) {
              @case ('valid') {
                The checkpoint's Ed25519 signature is valid for the published key
                {{ result.proof.checkpoint.key_id }}.
              }
              @case ('invalid') {
                The checkpoint's signature is NOT valid for key {{ result.proof.checkpoint.key_id }}.
              }
              @case ('unknown-key') {
                The checkpoint names key {{ result.proof.checkpoint.key_id }}, which the installation does not
                publish.
              }
              @default {
                This browser cannot check Ed25519 signatures: check the checkpoint offline (below).
              }
            }
          </li>
        </ul>
        <p class="mt-2 text-xs text-slate-600 dark:text-slate-300">
          Checked here, in your browser, from the event and the proof the server sent; for evidence that does
          not rely on this console, verify an export offline.
        </p>
      </section>
    }

    <section aria-labelledby="offline-title">
      <h2 id="offline-title" class="mb-2 text-lg font-semibold">Export and verify offline</h2>
      <p class="mb-3 max-w-3xl text-sm text-slate-600 dark:text-slate-300">
        An operator with the installation's configuration exports this tenant's sealed events with their
        checkpoints and proofs; anyone holding the export and the public key verifies it, with no access to
        the servers. Keep the public key apart from the servers.
      </p>
      <pre
        aria-label="Commands to export and verify"
        class="overflow-x-auto rounded-lg bg-slate-900 p-4 text-xs text-slate-100"
        >{{ commands() }}</pre>
      <div class="mt-2 flex flex-wrap gap-2">
        <tp-copy-button [text]="commands()" label="Copy the commands" />
      </div>
      <p class="mt-2 text-xs text-slate-500 dark:text-slate-400">
        <code>trueport audit verify</code> prints "OK <em>n</em> events" and exits 0, or names the first
        problem and exits 1. The public keys are also published without sign-in at
        <code>/api/v1/audit/public-keys</code>.
      </p>
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Audit implements OnInit {
  protected readonly ranges = RANGES;
  protected readonly utc = formatUtc;
  protected readonly describe = describeEvent;
  protected readonly styles = {
    select: SELECT,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly pager = new Pager();
  protected readonly events = signal<AuditEvent[] | null>(null);
  protected readonly checkpoint = signal<Checkpoint | null>(null);
  protected readonly checkpointMissing = signal(false);
  protected readonly checking = signal<string | null>(null);
  protected readonly checked = signal<Checked | null>(null);
  protected readonly verified = computed(() => {
    const c = this.checked()?.check;
    return !!c && c.leafMatches && c.rootMatches && c.signature === 'valid';
  });
  protected readonly error = signal('');
  private readonly filter = signal<AuditFilter>({});
  private readonly session = inject(Session);
  protected readonly commands = computed(() => {
    const slug = this.session.tenant()?.slug ?? '<tenant-slug>';
    return [
      '# on a machine with the installation\u2019s configuration',
      'trueport audit public-key --config trueport.yaml > audit-public-key.pem',
      `trueport audit export --config trueport.yaml --tenant ${slug} --out ./audit-${slug}`,
      '# anywhere, with only the export and the public key',
      `trueport audit verify ./audit-${slug} --public-key audit-public-key.pem`,
    ].join('\n');
  });
  private readonly api = inject(AuditApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.loadCheckpoint(), this.load()]);
  }

  setKind(kind: string): void {
    this.filter.update((f) => ({ ...f, kind: kind === '' ? undefined : (kind as AuditEvent['kind']) }));
    this.pager.reset();
    void this.load();
  }

  setRange(hours: number): void {
    this.filter.update((f) => ({ ...f, since: hours > 0 ? since(hours) : undefined }));
    this.pager.reset();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const page = await firstValueFrom(this.api.events(this.filter(), PAGE_SIZE, this.pager.current()));
      this.events.set(page.data);
      this.pager.nextCursor.set(page.next_cursor ?? null);
      this.error.set('');
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.events.set(this.events() ?? []);
    }
  }

  async check(event: AuditEvent): Promise<void> {
    this.checking.set(event.event_id);
    this.error.set('');
    try {
      const [proof, keys] = await Promise.all([
        firstValueFrom(this.api.inclusionProof(event.event_id)),
        firstValueFrom(this.api.publicKeys()),
      ]);
      const check = await checkProof(globalThis.crypto.subtle, event, proof, keys);
      this.checked.set({ event, proof, check });
      await this.loadCheckpoint();
    } catch (error: unknown) {
      this.error.set(
        apiErrorCode(error) === 'not_found'
          ? 'That event is not sealed in the log yet: the recorder writes events within seconds. Try again.'
          : apiErrorMessage(error),
      );
    } finally {
      this.checking.set(null);
    }
  }

  private async loadCheckpoint(): Promise<void> {
    try {
      this.checkpoint.set(await firstValueFrom(this.api.latestCheckpoint()));
      this.checkpointMissing.set(false);
    } catch (error: unknown) {
      if (apiErrorCode(error) === 'no_checkpoint') {
        this.checkpointMissing.set(true);
      } else {
        this.error.set(apiErrorMessage(error));
      }
    }
  }
}
