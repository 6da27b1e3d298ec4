import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorCode, apiErrorMessage } from '../../../api/errors';
import { Alert } from '../../../shared/alert';
import {
  INPUT,
  LABEL,
  PRIMARY_BUTTON,
  SECONDARY_BUTTON,
  SELECT,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../../shared/form-styles';
import { PoliciesApi, TriedFinding, TryRequest, TryResult } from '../policies-api';
import { Problem, policyProblems } from './policy-text';

type Json = Record<string, unknown>;
type ActionName = TriedFinding['action'];

/** The sources a text can come from, as the API names them, with words for people. */
export const SOURCES: readonly { value: NonNullable<TryRequest['source']>; label: string }[] = [
  { value: 'user', label: 'User turn' },
  { value: 'system', label: 'System prompt' },
  { value: 'tool_output', label: 'Tool result' },
  { value: 'tool_arguments', label: 'Tool-call arguments' },
  { value: 'document', label: 'Attached document' },
  { value: 'assistant', label: 'Earlier assistant turn' },
  { value: 'completion', label: "The model's answer" },
];

/** 32 KiB of UTF-8: what the server takes (413 beyond). */
export const MAX_TRY_BYTES = 32 * 1024;

const RANK: Record<ActionName, number> = { block: 3, redact: 2, flag: 1, off: 0 };

/** A piece of the sample: plain, or covered by findings (the strongest action names it). */
export interface Segment {
  text: string;
  action: ActionName | null;
  findings: string;
}

/**
 * The sample cut at every finding's edges, each piece with the strongest action of the findings that
 * cover it (block, then redact, then flag); whole-text verdicts (no offsets) are not marked.
 */
export function segments(text: string, findings: readonly TriedFinding[]): Segment[] {
  const spans = findings.filter(
    (f): f is TriedFinding & { start: number; end: number } =>
      f.start !== null && f.end !== null && f.end > f.start,
  );
  const cuts = new Set([0, text.length]);
  for (const f of spans) {
    cuts.add(Math.max(0, Math.min(text.length, f.start)));
    cuts.add(Math.max(0, Math.min(text.length, f.end)));
  }
  const edges = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const [from, to] = [edges[i], edges[i + 1]];
    const covering = spans.filter((f) => f.start <= from && f.end >= to);
    const strongest = covering.reduce<ActionName | null>(
      (best, f) => (best === null || RANK[f.action] > RANK[best] ? f.action : best),
      null,
    );
    const piece = {
      text: text.slice(from, to),
      action: strongest,
      findings: covering.map((f) => `${f.detector} ${f.type}: ${f.action}`).join(', '),
    };
    const last = out[out.length - 1];
    if (last && last.action === null && piece.action === null) {
      last.text += piece.text;
    } else {
      out.push(piece);
    }
  }
  return out;
}

/** The decision in one sentence. */
export function verdict(r: TryResult): string {
  if (r.block) {
    return r.block.reason === 'guard_unavailable'
      ? `Blocked: the ${r.block.detector} detector could not answer, and it fails closed.`
      : `Blocked: ${r.block.detector} found ${r.block.type}.`;
  }
  const n = r.findings.length;
  return n === 0 ? 'Allowed: nothing found.' : `Allowed, with ${n} finding${n === 1 ? '' : 's'}.`;
}

/** The sample's size in UTF-8 bytes (what the server's limit counts). */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

const MARK: Record<ActionName, string> = {
  block: 'rounded bg-red-200 px-0.5 text-red-950 dark:bg-red-900 dark:text-red-50',
  redact: 'rounded bg-amber-200 px-0.5 text-amber-950 dark:bg-amber-800 dark:text-amber-50',
  flag: 'rounded bg-sky-200 px-0.5 text-sky-950 dark:bg-sky-800 dark:text-sky-50',
  off: '',
};

/**
 * "Try it": a pasted sample run through the draft or the active policy by the installation's own
 * detectors (`POST /api/v1/policies/try`), showing what would be blocked, redacted or flagged.
 */
@Component({
  selector: 'tp-policy-try',
  imports: [Alert, ReactiveFormsModule],
  template: `
    <form [formGroup]="form" (ngSubmit)="run(false)" class="grid gap-3">
      <div>
        <label for="try-text" [class]="s.label">Sample text</label>
        <textarea
          id="try-text"
          rows="5"
          formControlName="text"
          [class]="s.input"
          aria-describedby="try-text-hint"
        ></textarea>
        <p id="try-text-hint" class="mt-1 text-sm text-slate-600 dark:text-slate-300">
          A prompt, a tool result or an answer, up to 32 KiB. Nothing is recorded.
        </p>
      </div>
      <div class="grid gap-3 sm:grid-cols-2">
        <div>
          <label for="try-source" [class]="s.label">Source</label>
          <select id="try-source" formControlName="source" [class]="s.select">
            @for (source of sources; track source.value) {
              <option [value]="source.value">{{ source.label }}</option>
            }
          </select>
        </div>
        <div>
          <label for="try-direction" [class]="s.label">Direction</label>
          <select id="try-direction" formControlName="direction" [class]="s.select">
            <option value="input">Input (to the provider)</option>
            <option value="output">Output (the answer)</option>
          </select>
        </div>
      </div>
      <div class="flex flex-wrap items-center gap-3">
        @if (draft()) {
          <button type="button" [class]="s.button" [disabled]="busy()" (click)="run(true)">
            Try with the draft
          </button>
        }
        <button type="submit" [class]="draft() ? s.secondary : s.button" [disabled]="busy()">
          Try with the active policy
        </button>
      </div>
    </form>

    @if (problems().length > 0) {
      <div class="mt-3">
        <tp-alert>
          The draft is not valid:
          @for (problem of problems(); track $index) {
            @if (problem.location) {
              <code>{{ problem.location }}</code>:
            }
            {{ problem.message }}
          }
        </tp-alert>
      </div>
    } @else if (error()) {
      <div class="mt-3">
        <tp-alert>{{ error() }}</tp-alert>
      </div>
    }

    @if (result(); as r) {
      <section aria-labelledby="try-result" class="mt-4" aria-live="polite">
        <h3 id="try-result" class="mb-2 font-semibold">
          Result under {{ r.policy_version === null ? 'the draft' : 'version ' + r.policy_version }}
        </h3>
        <p role="status" class="mb-3 text-sm font-medium">{{ verdict(r) }}</p>
        <h4 class="text-sm font-medium">The sample, findings marked</h4>
        <p
          class="mb-3 rounded-md border border-slate-200 bg-white p-3 font-mono text-sm break-words whitespace-pre-wrap dark:border-slate-800 dark:bg-slate-950"
        >
          @for (piece of pieces(); track $index) {
            @if (piece.action) {
              <mark [class]="mark[piece.action]" [attr.title]="piece.findings">{{ piece.text }}</mark>
            } @else {
              <span>{{ piece.text }}</span>
            }
          }
        </p>
        @if (r.findings.length > 0) {
          <div [class]="s.frame + ' mb-3'">
            <table [class]="s.table">
              <caption class="sr-only">
                Findings and what the policy does with each
              </caption>
              <thead [class]="s.thead">
                <tr>
                  <th scope="col" class="px-3 py-2">Detector</th>
                  <th scope="col" class="px-3 py-2">Type</th>
                  <th scope="col" class="px-3 py-2">Text</th>
                  <th scope="col" class="px-3 py-2">Score</th>
                  <th scope="col" class="px-3 py-2">Action</th>
                </tr>
              </thead>
              <tbody [class]="s.tbody">
                @for (f of r.findings; track $index) {
                  <tr>
                    <td class="px-3 py-2">{{ f.detector }}</td>
                    <td class="px-3 py-2">{{ f.type }}</td>
                    <td class="px-3 py-2 font-mono">
                      {{ f.start === null ? '(the whole text)' : sample().slice(f.start, f.end ?? f.start) }}
                    </td>
                    <td class="px-3 py-2">{{ f.score }}</td>
                    <td class="px-3 py-2">{{ f.action }}{{ f.shadow ? ' (shadow: not enforced)' : '' }}</td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
        }
        @if (r.failures.length > 0) {
          <p class="mb-3 text-sm">
            Failed:
            @for (f of r.failures; track $index) {
              {{ f.detector }} ({{ f.error }}, fails {{ f.fail_mode }})
            }
          </p>
        }
        @if (r.deferred.length > 0) {
          <p class="mb-3 text-sm">
            Not run here (asynchronous, after the call): {{ r.deferred.join(', ') }}.
          </p>
        }
        <h4 class="text-sm font-medium">What would be sent on</h4>
        <pre
          class="rounded-md bg-slate-100 p-3 text-sm break-words whitespace-pre-wrap dark:bg-slate-900"
        ><code>{{ r.redacted_text }}</code></pre>
      </section>
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PolicyTry {
  /** The editor's current draft (null: the role may not edit, or the JSON does not parse). */
  readonly draft = input<(() => Json | null) | null>(null);

  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly mark = MARK;
  protected readonly verdict = verdict;
  protected readonly sources = SOURCES;
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    text: this.fb.control(''),
    source: this.fb.control<NonNullable<TryRequest['source']>>('user'),
    direction: this.fb.control<NonNullable<TryRequest['direction']>>('input'),
  });
  protected readonly busy = signal(false);
  protected readonly error = signal('');
  protected readonly problems = signal<Problem[]>([]);
  protected readonly result = signal<TryResult | null>(null);
  /** The text the result is about (the field may have changed since). */
  protected readonly sample = signal('');
  protected readonly pieces = computed(() => {
    const r = this.result();
    return r ? segments(this.sample(), r.findings) : [];
  });
  private readonly api = inject(PoliciesApi);

  async run(withDraft: boolean): Promise<void> {
    const { text, source, direction } = this.form.getRawValue();
    this.error.set('');
    this.problems.set([]);
    if (text.trim() === '') {
      this.error.set('Paste a sample text first.');
      return;
    }
    if (utf8Bytes(text) > MAX_TRY_BYTES) {
      this.error.set('The sample is longer than 32 KiB: try a shorter excerpt.');
      return;
    }
    const request: TryRequest = { text, source, direction };
    if (withDraft) {
      const policy = this.draft()?.() ?? null;
      if (policy === null) {
        this.error.set('The draft is not a valid JSON document: correct it in the editor first.');
        return;
      }
      request.policy = policy;
    }
    this.busy.set(true);
    try {
      const answer = await firstValueFrom(this.api.try(request));
      this.sample.set(text);
      this.result.set(answer);
    } catch (error: unknown) {
      this.result.set(null);
      if (apiErrorCode(error) === 'invalid_policy') {
        this.problems.set(policyProblems(apiErrorMessage(error)));
      } else {
        this.error.set(apiErrorMessage(error));
      }
    } finally {
      this.busy.set(false);
    }
  }
}
