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
  SELECT,
  TABLE,
  TABLE_FRAME,
  TBODY,
  THEAD,
} from '../../shared/form-styles';
import { formatUtc } from '../../shared/time-range';
import { Tenant, TenantsApi } from '../tenants/tenants-api';
import { count } from '../usage/usage-table';
import { BillingApi, Override, Plan } from './billing-api';
import { planBody, priceBody } from './billing-form';

/** Billing plans for the whole installation, and one tenant's negotiated prices at a time. */
@Component({
  selector: 'tp-admin-billing',
  imports: [ReactiveFormsModule, PageMessages, ConfirmButton, EmptyState, Loading],
  template: `
    <h1 class="mb-6 text-2xl font-semibold">Plans and pricing</h1>
    <tp-page-messages [notice]="message()" [error]="error()" />

    <section aria-labelledby="plans" class="mb-10">
      <h2 id="plans" class="mb-3 text-lg font-semibold">Plans</h2>
      <form
        [formGroup]="planForm"
        (ngSubmit)="createPlan()"
        aria-label="New plan"
        class="mb-4 grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-3 dark:border-slate-800 dark:bg-slate-900"
      >
        <div>
          <label for="plan-name" [class]="s.label">Plan name</label>
          <input id="plan-name" formControlName="name" autocomplete="off" [class]="s.input" />
        </div>
        <div>
          <label for="plan-fee" [class]="s.label">Monthly fee (USD)</label>
          <input id="plan-fee" inputmode="decimal" formControlName="monthlyFee" [class]="s.input" />
        </div>
        <div>
          <label for="plan-tokens" [class]="s.label">Included tokens per month</label>
          <input id="plan-tokens" inputmode="numeric" formControlName="includedTokens" [class]="s.input" />
        </div>
        <div>
          <label for="plan-overage" [class]="s.label">Per 1M tokens beyond (USD)</label>
          <input id="plan-overage" inputmode="decimal" formControlName="overagePerMtok" [class]="s.input" />
        </div>
        <div>
          <label for="plan-spend" [class]="s.label">Included provider spend (USD)</label>
          <input id="plan-spend" inputmode="decimal" formControlName="includedSpend" [class]="s.input" />
        </div>
        <div>
          <label for="plan-markup" [class]="s.label">Markup on spend beyond (%)</label>
          <input id="plan-markup" inputmode="decimal" formControlName="markupPct" [class]="s.input" />
        </div>
        <div class="sm:col-span-3">
          <button type="submit" [disabled]="busy()" [class]="s.button">Create plan</button>
        </div>
      </form>
      @if (plans() === null) {
        <tp-loading>Loading plans…</tp-loading>
      } @else if (plans()!.length === 0) {
        <tp-empty-state>
          No plans yet. Create one above, then put tenants on it from the Tenants page; a tenant's invoice
          preview follows its plan.
        </tp-empty-state>
      } @else {
        <div [class]="s.frame">
          <table [class]="s.table">
            <caption class="sr-only">
              Billing plans
            </caption>
            <thead [class]="s.thead">
              <tr>
                <th scope="col" class="px-4 py-2 font-medium">Plan</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Monthly fee</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Included tokens</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Per 1M beyond</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Included spend</th>
                <th scope="col" class="px-4 py-2 text-right font-medium">Markup</th>
                <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody [class]="s.tbody">
              @for (plan of plans(); track plan.id) {
                <tr>
                  <th scope="row" class="px-4 py-2 text-left font-medium">{{ plan.name }}</th>
                  <td class="px-4 py-2 text-right tabular-nums">\${{ plan.monthly_fee_usd }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ count(plan.included_tokens) }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">\${{ plan.overage_per_mtok_usd }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">\${{ plan.included_spend_usd }}</td>
                  <td class="px-4 py-2 text-right tabular-nums">{{ plan.overage_markup_pct }} %</td>
                  <td class="px-4 py-2 text-right">
                    <tp-confirm-button
                      label="Delete"
                      [name]="'Delete the plan ' + plan.name"
                      [confirm]="'Confirm deleting the plan ' + plan.name"
                      [disabled]="busy()"
                      (confirmed)="deletePlan(plan)"
                    />
                  </td>
                </tr>
              }
            </tbody>
          </table>
        </div>
      }
    </section>

    <section aria-labelledby="prices">
      <h2 id="prices" class="mb-1 text-lg font-semibold">Negotiated prices</h2>
      <p class="mb-3 text-sm text-slate-600 dark:text-slate-300">
        A tenant's own price for an upstream model, per million tokens, instead of the catalog's; the gateways
        price new requests with it within moments.
      </p>
      <div class="mb-4 w-72">
        <label for="price-tenant" [class]="s.label">Tenant</label>
        <select id="price-tenant" [class]="s.select" (change)="chooseTenant($any($event.target).value)">
          <option value="">Choose a tenant…</option>
          @for (tenant of tenants(); track tenant.id) {
            <option [value]="tenant.id" [selected]="tenant.id === tenantId()">
              {{ tenant.name }} ({{ tenant.slug }})
            </option>
          }
        </select>
      </div>
      @if (tenantId()) {
        <form
          [formGroup]="priceForm"
          (ngSubmit)="setPrice()"
          aria-label="Negotiated price"
          class="mb-4 grid gap-4 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-4 dark:border-slate-800 dark:bg-slate-900"
        >
          <div>
            <label for="price-model" [class]="s.label">Upstream model</label>
            <input
              id="price-model"
              formControlName="model"
              autocomplete="off"
              placeholder="gpt-4o-mini"
              [class]="s.input"
            />
          </div>
          <div>
            <label for="price-input" [class]="s.label">Input per 1M tokens (USD)</label>
            <input id="price-input" inputmode="decimal" formControlName="input" [class]="s.input" />
          </div>
          <div>
            <label for="price-output" [class]="s.label">Output per 1M tokens (USD)</label>
            <input id="price-output" inputmode="decimal" formControlName="output" [class]="s.input" />
          </div>
          <div>
            <label for="price-cached" [class]="s.label">Cached input per 1M (optional)</label>
            <input id="price-cached" inputmode="decimal" formControlName="cachedInput" [class]="s.input" />
          </div>
          <div class="sm:col-span-4">
            <button type="submit" [disabled]="busy()" [class]="s.button">Set price</button>
          </div>
        </form>
        @if (prices() === null) {
          <tp-loading>Loading prices…</tp-loading>
        } @else if (prices()!.length === 0) {
          <tp-empty-state>
            This tenant pays the catalog's prices. Set a price above to give it its own.
          </tp-empty-state>
        } @else {
          <div [class]="s.frame">
            <table [class]="s.table">
              <caption class="sr-only">
                The tenant's negotiated prices, per million tokens
              </caption>
              <thead [class]="s.thead">
                <tr>
                  <th scope="col" class="px-4 py-2 font-medium">Model</th>
                  <th scope="col" class="px-4 py-2 text-right font-medium">Input</th>
                  <th scope="col" class="px-4 py-2 text-right font-medium">Output</th>
                  <th scope="col" class="px-4 py-2 text-right font-medium">Cached input</th>
                  <th scope="col" class="px-4 py-2 font-medium">Changed</th>
                  <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody [class]="s.tbody">
                @for (price of prices(); track price.id) {
                  <tr>
                    <th scope="row" class="px-4 py-2 text-left font-mono font-medium">
                      {{ price.model }}
                    </th>
                    <td class="px-4 py-2 text-right tabular-nums">\${{ price.input_per_mtok }}</td>
                    <td class="px-4 py-2 text-right tabular-nums">\${{ price.output_per_mtok }}</td>
                    <td class="px-4 py-2 text-right tabular-nums">
                      {{ price.cached_input_per_mtok ? '$' + price.cached_input_per_mtok : 'as input' }}
                    </td>
                    <td class="px-4 py-2">{{ utc(price.updated_at) }}</td>
                    <td class="px-4 py-2 text-right">
                      <tp-confirm-button
                        label="Remove"
                        [name]="'Remove the price of ' + price.model"
                        [confirm]="'Confirm removing the price of ' + price.model"
                        [disabled]="busy()"
                        (confirmed)="removePrice(price)"
                      />
                    </td>
                  </tr>
                }
              </tbody>
            </table>
          </div>
        }
      }
    </section>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Billing implements OnInit {
  protected readonly s = {
    input: INPUT,
    label: LABEL,
    select: SELECT,
    button: PRIMARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  protected readonly utc = formatUtc;
  protected readonly count = count;
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly planForm = this.fb.group({
    name: [''],
    monthlyFee: [''],
    includedTokens: [''],
    overagePerMtok: [''],
    includedSpend: [''],
    markupPct: [''],
  });
  protected readonly priceForm = this.fb.group({
    model: [''],
    input: [''],
    output: [''],
    cachedInput: [''],
  });
  protected readonly plans = signal<Plan[] | null>(null);
  protected readonly tenants = signal<Tenant[]>([]);
  protected readonly tenantId = signal('');
  protected readonly prices = signal<Override[] | null>(null);
  protected readonly message = signal('');
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(BillingApi);
  private readonly tenantsApi = inject(TenantsApi);

  async ngOnInit(): Promise<void> {
    await Promise.all([this.loadPlans(), this.loadTenants()]);
  }

  async createPlan(): Promise<void> {
    const body = planBody(this.planForm.getRawValue());
    if (typeof body === 'string') {
      this.say('', body);
      return;
    }
    await this.act(async () => {
      const plan = await firstValueFrom(this.api.createPlan(body));
      this.planForm.reset();
      return `The plan ${plan.name} exists: put tenants on it from the Tenants page.`;
    });
    await this.loadPlans();
  }

  async deletePlan(plan: Plan): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.deletePlan(plan.id));
      return `The plan ${plan.name} is deleted.`;
    });
    await this.loadPlans();
  }

  async chooseTenant(id: string): Promise<void> {
    this.tenantId.set(id);
    this.prices.set(null);
    this.say('', '');
    if (id) {
      await this.loadPrices();
    }
  }

  async setPrice(): Promise<void> {
    const body = priceBody(this.priceForm.getRawValue());
    if (typeof body === 'string') {
      this.say('', body);
      return;
    }
    await this.act(async () => {
      const price = await firstValueFrom(this.api.setPrice(this.tenantId(), body));
      this.priceForm.reset();
      return `The tenant pays $${price.input_per_mtok} in and $${price.output_per_mtok} out per million tokens of ${price.model}.`;
    });
    await this.loadPrices();
  }

  async removePrice(price: Override): Promise<void> {
    await this.act(async () => {
      await firstValueFrom(this.api.removePrice(this.tenantId(), price.id));
      return `${price.model} is priced from the catalog again for this tenant.`;
    });
    await this.loadPrices();
  }

  private say(message: string, error: string): void {
    this.message.set(message);
    this.error.set(error);
  }

  /** Runs a change and says what it did, or why not. */
  private async act(change: () => Promise<string>): Promise<void> {
    this.busy.set(true);
    this.say('', '');
    try {
      this.message.set(await change());
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }

  private async loadPlans(): Promise<void> {
    try {
      this.plans.set((await firstValueFrom(this.api.plans())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.plans.set(this.plans() ?? []);
    }
  }

  private async loadTenants(): Promise<void> {
    try {
      this.tenants.set((await firstValueFrom(this.tenantsApi.list())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private async loadPrices(): Promise<void> {
    const tenant = this.tenantId();
    try {
      const prices = await firstValueFrom(this.api.prices(tenant));
      if (tenant === this.tenantId()) {
        this.prices.set(prices);
      }
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.prices.set([]);
    }
  }
}
