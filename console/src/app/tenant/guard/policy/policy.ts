import {
  ChangeDetectionStrategy,
  Component,
  OnInit,
  computed,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { firstValueFrom } from 'rxjs';

import { apiErrorCode, apiErrorMessage } from '../../../api/errors';
import { Access } from '../../../core/permissions';
import { Loading } from '../../../shared/loading';
import { PageMessages } from '../../../shared/page-messages';
import { formatUtc } from '../../../shared/time-range';
import { Panel } from '../../../shared/panel';
import { MembersApi } from '../../members/members-api';
import { PoliciesApi, PolicyVersion } from '../policies-api';
import { PolicyEditor } from './policy-editor';
import { PolicyTry } from './policy-try';
import { Problem, policyProblems } from './policy-text';
import { PolicyVersions } from './policy-versions';
import { PolicyView } from './policy-view';

type Json = Record<string, unknown>;

/**
 * The tenant's guard policy: the active one in words, a draft to save as a new version (owners and
 * admins), the versions with a diff between two and rollback.
 */
@Component({
  selector: 'tp-policy',
  imports: [PageMessages, PolicyEditor, PolicyTry, PolicyVersions, PolicyView, Loading, Panel],
  template: `
    <tp-page-messages [notice]="message()" [error]="error()" />
    @if (active(); as current) {
      <section aria-labelledby="active-policy" class="mb-8">
        <h2 id="active-policy" class="mb-1 text-lg font-semibold">Active policy</h2>
        <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
          @if (current.source === 'installation') {
            The installation's policy: this tenant has not saved one of its own yet.
          } @else {
            Version {{ current.version }}, saved {{ utc(current.created_at) }} by
            {{ who()(current.created_by) }}.
          }
        </p>
        <tp-policy-view [policy]="$any(current.policy)" caption="The active policy, per detector" />
      </section>

      @if (access.can('tenant:write')) {
        <tp-panel headingId="edit-policy" heading="Edit the policy">
          <tp-policy-editor
            [document]="$any(current.policy)"
            [problems]="problems()"
            [busy]="busy()"
            (save)="save($event)"
          />
        </tp-panel>
      } @else {
        <p class="mb-8 text-sm">
          Your role ({{ access.role() ?? 'unknown' }}) reads the policy; an owner or admin changes it.
        </p>
      }
    } @else if (!error()) {
      <tp-loading>Loading the policy…</tp-loading>
    }

    <section aria-labelledby="policy-versions" class="mb-8">
      <h2 id="policy-versions" class="mb-3 text-lg font-semibold">Versions</h2>
      @if (versions().length === 0) {
        <p class="text-sm">No version saved yet: the installation's policy is in force.</p>
      } @else {
        <tp-policy-versions
          [versions]="versions()"
          [who]="who()"
          [mayChange]="access.can('tenant:write')"
          [busy]="busy()"
          (rollback)="rollback($event)"
        />
      }
    </section>

    <section
      aria-labelledby="try-policy"
      class="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="try-policy" class="mb-1 text-lg font-semibold">Try it</h2>
      <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
        Run a sample through
        {{ access.can('tenant:write') ? 'the draft above or the active policy' : 'the active policy' }}
        with this installation's detectors: what would be blocked, redacted or flagged.
      </p>
      <tp-policy-try [draft]="access.can('tenant:write') && active() ? draftOf : null" />
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Policy implements OnInit {
  protected readonly access = inject(Access);
  protected readonly utc = (iso: string | null) => (iso ? formatUtc(iso) : '—');
  protected readonly active = signal<PolicyVersion | null>(null);
  protected readonly versions = signal<PolicyVersion[]>([]);
  protected readonly problems = signal<Problem[]>([]);
  protected readonly error = signal('');
  protected readonly message = signal('');
  protected readonly busy = signal(false);
  private readonly emails = signal<ReadonlyMap<string, string>>(new Map());
  /** A user id in words: their e-mail address when the role may read the members. */
  protected readonly who = computed(() => {
    const emails = this.emails();
    return (id: string | null) => (id === null ? 'the installation' : (emails.get(id) ?? `user ${id}`));
  });
  private readonly editor = viewChild(PolicyEditor);
  /** The editor's draft as it stands, for "Try it". */
  protected readonly draftOf = () => this.editor()?.current() ?? null;
  private readonly api = inject(PoliciesApi);
  private readonly members = inject(MembersApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.load(), this.loadPeople()]);
  }

  async save(document: Json): Promise<void> {
    await this.change(
      () => this.api.save(document),
      (saved) => `Saved as version ${saved.version}; it is now active.`,
    );
  }

  async rollback(version: number): Promise<void> {
    await this.change(
      () => this.api.rollback(version),
      (saved) => `Version ${version} is active again, as version ${saved.version}.`,
    );
  }

  private async change(
    call: () => ReturnType<PoliciesApi['save']>,
    said: (saved: PolicyVersion) => string,
  ): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.message.set('');
    this.problems.set([]);
    try {
      const saved = await firstValueFrom(call());
      this.message.set(said(saved));
      await this.load();
    } catch (error: unknown) {
      if (apiErrorCode(error) === 'invalid_policy') {
        this.problems.set(policyProblems(apiErrorMessage(error)));
        this.error.set('The policy was not saved: correct what is marked and save again.');
      } else {
        this.error.set(apiErrorMessage(error));
      }
    } finally {
      this.busy.set(false);
    }
  }

  private async load(): Promise<void> {
    try {
      const [active, versions] = await Promise.all([
        firstValueFrom(this.api.active()),
        firstValueFrom(this.api.versions()),
      ]);
      this.active.set(active);
      this.versions.set([...versions.data].sort((a, b) => b.version - a.version));
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async loadPeople(): Promise<void> {
    if (!this.access.can('members:read')) {
      return;
    }
    try {
      const page = await firstValueFrom(this.members.list());
      this.emails.set(new Map(page.data.map((m) => [m.user_id, m.email])));
    } catch {
      // Only names are missing: ids are shown instead.
    }
  }
}
