import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { Loading } from '../../shared/loading';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
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
} from '../../shared/form-styles';
import { Pager } from '../../shared/pager';
import { PagerNav } from '../../shared/pager-nav';
import { formatUtc } from '../../shared/time-range';
import { Panel } from '../../shared/panel';
import { createdMessage, tenantBody } from './tenant-form';
import { Plan, Tenant, TenantsApi } from './tenants-api';

/** The installation's tenants: create one with its owner's invitation, suspend or resume, set its plan. */
@Component({
  selector: 'tp-admin-tenants',
  imports: [ReactiveFormsModule, PageMessages, ConfirmButton, EmptyState, PagerNav, Loading, Panel],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Tenants</h1>
    <tp-panel headingId="create-tenant" heading="Create a tenant">
      <form [formGroup]="form" (ngSubmit)="create()" class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <div>
          <label for="tenant-slug" [class]="s.label">Slug</label>
          <input
            id="tenant-slug"
            formControlName="slug"
            autocomplete="off"
            placeholder="acme"
            aria-describedby="tenant-slug-hint"
            [class]="s.input"
          />
          <p id="tenant-slug-hint" class="mt-1 text-xs text-slate-600 dark:text-slate-300">
            Lower-case letters, digits and hyphens; it cannot be changed.
          </p>
        </div>
        <div>
          <label for="tenant-name" [class]="s.label">Name</label>
          <input
            id="tenant-name"
            formControlName="name"
            autocomplete="off"
            placeholder="Acme Corp"
            [class]="s.input"
          />
        </div>
        <div>
          <label for="tenant-owner" [class]="s.label">Owner's e-mail address</label>
          <input
            id="tenant-owner"
            type="email"
            formControlName="ownerEmail"
            autocomplete="off"
            placeholder="owner@acme.example"
            aria-describedby="tenant-owner-hint"
            [class]="s.input"
          />
          <p id="tenant-owner-hint" class="mt-1 text-xs text-slate-600 dark:text-slate-300">
            They get an invitation by e-mail that makes them the tenant's owner.
          </p>
        </div>
        <div>
          <label for="tenant-rpm" [class]="s.label">Requests per minute (optional)</label>
          <input id="tenant-rpm" inputmode="numeric" formControlName="rpmLimit" [class]="s.input" />
        </div>
        <div>
          <label for="tenant-tpm" [class]="s.label">Tokens per minute (optional)</label>
          <input id="tenant-tpm" inputmode="numeric" formControlName="tpmLimit" [class]="s.input" />
        </div>
        <div class="flex items-end">
          <button type="submit" [disabled]="busy()" [class]="s.button">Create tenant</button>
        </div>
      </form>
    </tp-panel>

    <tp-page-messages [notice]="message()" [error]="error()" />

    <section aria-labelledby="tenant-list">
      <h2 id="tenant-list" class="mb-3 text-lg font-semibold">All tenants</h2>
      @if (plans()?.length === 0) {
        <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
          No billing plans yet: create them with <code>POST /api/v1/billing/admin/plans</code> (see
          docs/api.md), then put tenants on them here.
        </p>
      }
      @if (tenants() === null) {
        <tp-loading>Loading tenants…</tp-loading>
      } @else if (tenants()!.length === 0) {
        <tp-empty-state>
          No tenants yet. Create the first above, with its owner's e-mail address: they get the link that lets
          them in.
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              The installation's tenants, oldest first
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Slug</th>
                <th scope="col" class="px-4 py-2 font-medium">Name</th>
                <th scope="col" class="px-4 py-2 font-medium">Status</th>
                <th scope="col" class="px-4 py-2 font-medium">Limits</th>
                <th scope="col" class="px-4 py-2 font-medium">Created</th>
                <th scope="col" class="px-4 py-2 font-medium">Plan</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (tenant of tenants(); track tenant.id) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-medium">{{ tenant.slug }}</th>
                  <td class="px-4 py-2">{{ tenant.name }}</td>
                  <td class="px-4 py-2">
                    @if (tenant.disabled) {
                      <span
                        class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-900 dark:text-amber-100"
                        >suspended</span
                      >
                    } @else {
                      <span
                        class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100"
                        >active</span
                      >
                    }
                  </td>
                  <td class="px-4 py-2 tabular-nums">{{ limits(tenant) }}</td>
                  <td class="px-4 py-2">{{ utc(tenant.created_at) }}</td>
                  <td class="px-4 py-2">
                    @if (plans()?.length) {
                      <label [for]="'plan-' + tenant.id" class="sr-only">Plan of {{ tenant.slug }}</label>
                      <select
                        [id]="'plan-' + tenant.id"
                        [class]="s.select + ' mt-0 w-36'"
                        [disabled]="busy()"
                        (change)="assignPlan(tenant, $any($event.target).value)"
                      >
                        <option value="" [selected]="!planOf()[tenant.id]">
                          {{ planOf()[tenant.id] ? '' : 'Put on a plan…' }}
                        </option>
                        @for (plan of plans(); track plan.id) {
                          <option [value]="plan.id" [selected]="planOf()[tenant.id] === plan.id">
                            {{ plan.name }}
                          </option>
                        }
                      </select>
                    } @else {
                      <span class="text-slate-500 dark:text-slate-400">—</span>
                    }
                  </td>
                  <td class="px-4 py-2 text-right whitespace-nowrap">
                    @if (tenant.disabled) {
                      <button
                        type="button"
                        [class]="s.secondary"
                        [disabled]="busy()"
                        [attr.aria-label]="'Resume ' + tenant.slug"
                        (click)="setDisabled(tenant, false)"
                      >
                        Resume
                      </button>
                    } @else {
                      <tp-confirm-button
                        label="Suspend"
                        [name]="'Suspend ' + tenant.slug"
                        [confirm]="'Confirm suspending ' + tenant.slug"
                        [disabled]="busy()"
                        (confirmed)="setDisabled(tenant, true)"
                      />
                    }
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
        <tp-pager-nav [pager]="pager" label="Pages of tenants" (moved)="load()" />
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Tenants implements OnInit {
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
  protected readonly utc = formatUtc;
  protected readonly form = inject(NonNullableFormBuilder).group({
    slug: [''],
    name: [''],
    ownerEmail: [''],
    rpmLimit: [''],
    tpmLimit: [''],
  });
  protected readonly pager = new Pager();
  protected readonly tenants = signal<Tenant[] | null>(null);
  protected readonly plans = signal<Plan[] | null>(null);
  /** The plan id of each listed tenant on one. */
  protected readonly planOf = signal<Record<string, string>>({});
  protected readonly message = signal('');
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(TenantsApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.load(), this.loadPlans()]);
  }

  protected limits(tenant: Tenant): string {
    const rpm = tenant.rpm_limit != null ? `${tenant.rpm_limit} rpm` : '';
    const tpm = tenant.tpm_limit != null ? `${tenant.tpm_limit} tpm` : '';
    return [rpm, tpm].filter(Boolean).join(', ') || 'none';
  }

  async create(): Promise<void> {
    const body = tenantBody(this.form.getRawValue());
    if (typeof body === 'string') {
      this.message.set('');
      this.error.set(body);
      return;
    }
    await this.act(async () => {
      const created = await firstValueFrom(this.api.create(body));
      this.form.reset();
      return createdMessage(created);
    });
  }

  async setDisabled(tenant: Tenant, disabled: boolean): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.setDisabled(tenant.id, disabled));
      return disabled
        ? `${tenant.slug} is suspended: its keys and sign-ins stop working within seconds; its data is kept.`
        : `${tenant.slug} is active again.`;
    });
  }

  async assignPlan(tenant: Tenant, planId: string): Promise<void> {
    if (!planId) {
      return;
    }
    await this.act(async () => {
      const assigned = await firstValueFrom(this.api.assignPlan(tenant.id, planId));
      return `${tenant.slug} is on the plan ${assigned.plan.name} since ${formatUtc(assigned.since)}.`;
    });
  }

  async load(): Promise<void> {
    try {
      const page = await firstValueFrom(this.api.list(this.pager.current()));
      const assigned = page.data.length
        ? await firstValueFrom(this.api.plansOf(page.data.map((tenant) => tenant.id)))
        : [];
      this.planOf.set(Object.fromEntries(assigned.map((entry) => [entry.tenant_id, entry.plan.id])));
      this.tenants.set(page.data);
      this.pager.nextCursor.set(page.next_cursor ?? null);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.tenants.set(this.tenants() ?? []);
    }
  }

  private async loadPlans(): Promise<void> {
    try {
      this.plans.set((await firstValueFrom(this.api.plans())).data);
    } catch {
      this.plans.set(null); // the tenants still show; plans are only offered when readable
    }
  }

  /** Runs a change, says what it did (or why not), and reloads the list either way. */
  private async act(change: () => Promise<string>): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    this.message.set('');
    try {
      this.message.set(await change());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
    await this.load();
  }
}
