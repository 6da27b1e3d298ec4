import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../../api/errors';
import { FormErrors, formErrors } from '../../api/field-errors';
import { Access } from '../../core/permissions';
import { Loading } from '../../shared/loading';
import { Alert } from '../../shared/alert';
import { PageMessages } from '../../shared/page-messages';
import { ConfirmButton } from '../../shared/confirm-button';
import { EmptyState } from '../../shared/empty-state';
import { FieldError } from '../../shared/field-error';
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
import {
  ROUTE_ERROR_FIELDS,
  RouteDraft,
  describeTargets,
  draftOf,
  emptyDraft,
  routeFields,
  routeIn,
} from './route-form';
import { Route, RoutesApi } from './routes-api';

const NO_ERRORS: FormErrors = { fields: {}, other: '' };
const MAX_TARGETS = 10;

/** Model routes: the aliases clients send as `model`, each tried on its targets in order. */
@Component({
  selector: 'tp-routes',
  imports: [
    ReactiveFormsModule,
    RouterLink,
    Alert,
    PageMessages,
    ConfirmButton,
    EmptyState,
    FieldError,
    Loading,
    Panel,
  ],
  template: `
    <h1 class="mb-2 text-2xl font-semibold">Routes</h1>
    <p class="mb-6 max-w-3xl text-sm text-slate-600 dark:text-slate-300">
      A route maps the <code>model</code> an application sends to providers and models, tried in order
      (failover before the first byte). A target's provider is one of the tenant's
      <a routerLink="/credentials" class="text-indigo-600 underline dark:text-indigo-400">credentials</a> or a
      provider the installation shares. A tenant route shadows an installation alias of the same name.
    </p>
    @if (access.can('routes:write')) {
      <tp-panel
        headingId="route-form-title"
        [heading]="editing() ? 'Edit the route ' + editing()!.alias : 'Add a route'"
      >
        <form [formGroup]="form" (ngSubmit)="save()" class="space-y-4">
          <div class="grid gap-4 md:grid-cols-3">
            <div>
              <label for="route-alias" [class]="styles.label">Alias (the model clients send)</label>
              <input
                id="route-alias"
                formControlName="alias"
                placeholder="e.g. chat-default"
                [attr.aria-invalid]="!!errors().fields['alias']"
                aria-describedby="route-alias-error"
                [class]="styles.input"
              />
              <tp-field-error id="route-alias-error" [message]="errors().fields['alias']" />
            </div>
            <div>
              <label for="route-ttl" [class]="styles.label">Response cache (seconds, optional)</label>
              <input
                id="route-ttl"
                formControlName="cacheTtlS"
                inputmode="decimal"
                placeholder="off"
                [attr.aria-invalid]="!!errors().fields['cache_ttl_s']"
                aria-describedby="route-ttl-error"
                [class]="styles.input"
              />
              <tp-field-error id="route-ttl-error" [message]="errors().fields['cache_ttl_s']" />
            </div>
            <div>
              <label for="route-regions" [class]="styles.label">Regions (optional, comma-separated)</label>
              <input
                id="route-regions"
                formControlName="regions"
                placeholder="e.g. eu-west-1, westeurope"
                [attr.aria-invalid]="!!errors().fields['regions']"
                aria-describedby="route-regions-error"
                [class]="styles.input"
              />
              <tp-field-error id="route-regions-error" [message]="errors().fields['regions']" />
            </div>
          </div>
          <fieldset formArrayName="targets" aria-describedby="route-targets-error">
            <legend class="text-sm font-medium">Targets, tried in order</legend>
            <tp-field-error id="route-targets-error" [message]="errors().fields['targets']" />
            @for (target of form.controls.targets.controls; track target; let i = $index) {
              <div [formGroupName]="i" class="mt-2 flex flex-wrap items-start gap-3">
                <div class="min-w-48 flex-1">
                  <label [for]="'target-provider-' + i" [class]="styles.label"
                    >Provider of target {{ i + 1 }}</label
                  >
                  <input
                    [id]="'target-provider-' + i"
                    formControlName="provider"
                    placeholder="e.g. openai-prod"
                    [attr.aria-invalid]="!!errors().fields['targets.' + i + '.provider']"
                    [attr.aria-describedby]="'target-provider-error-' + i"
                    [class]="styles.input"
                  />
                  <tp-field-error
                    [id]="'target-provider-error-' + i"
                    [message]="errors().fields['targets.' + i + '.provider']"
                  />
                </div>
                <div class="min-w-48 flex-1">
                  <label [for]="'target-model-' + i" [class]="styles.label"
                    >Model of target {{ i + 1 }}</label
                  >
                  <input
                    [id]="'target-model-' + i"
                    formControlName="model"
                    placeholder="e.g. gpt-4o-mini"
                    [attr.aria-invalid]="!!errors().fields['targets.' + i + '.model']"
                    [attr.aria-describedby]="'target-model-error-' + i"
                    [class]="styles.input"
                  />
                  <tp-field-error
                    [id]="'target-model-error-' + i"
                    [message]="errors().fields['targets.' + i + '.model']"
                  />
                </div>
                @if (form.controls.targets.length > 1) {
                  <button
                    type="button"
                    (click)="removeTarget(i)"
                    [attr.aria-label]="'Remove target ' + (i + 1)"
                    class="mt-7 text-sm underline"
                  >
                    Remove
                  </button>
                }
              </div>
            }
            @if (form.controls.targets.length < maxTargets) {
              <button type="button" (click)="addTarget()" class="mt-3" [class]="styles.secondary">
                Add a fallback target
              </button>
            }
          </fieldset>
          <div>
            <label for="route-fallback" [class]="styles.label"
              >Message when every target fails (optional)</label
            >
            <input
              id="route-fallback"
              formControlName="fallbackMessage"
              placeholder="The assistant is unavailable; try again in a minute."
              [attr.aria-invalid]="!!errors().fields['fallback']"
              aria-describedby="route-fallback-error"
              [class]="styles.input"
            />
            <tp-field-error id="route-fallback-error" [message]="errors().fields['fallback']" />
          </div>
          @if (errors().other) {
            <tp-alert>{{ errors().other }}</tp-alert>
          }
          <div class="flex gap-3">
            <button type="submit" [disabled]="busy()" [class]="styles.button">
              {{ editing() ? 'Save route' : 'Add route' }}
            </button>
            @if (editing()) {
              <button type="button" (click)="cancelEdit()" [class]="styles.secondary">Cancel</button>
            }
          </div>
        </form>
      </tp-panel>
    }
    <tp-page-messages [notice]="notice()" [error]="error()" />
    @if (routes() === null) {
      <tp-loading>Loading routes…</tp-loading>
    } @else if (routes()!.length === 0) {
      <tp-empty-state>
        This tenant has no routes of its own: its keys reach the models the installation configures.
        @if (access.can('routes:write')) {
          Add one above to send an alias to the tenant's own credentials, with failover.
        } @else {
          Owners and admins add them.
        }
      </tp-empty-state>
    } @else {
      <div [class]="styles.frame">
        <table [class]="styles.table">
          <caption class="sr-only">
            The tenant's model routes
          </caption>
          <thead [class]="styles.thead">
            <tr>
              <th scope="col" class="px-4 py-2 font-medium">Alias</th>
              <th scope="col" class="px-4 py-2 font-medium">Targets</th>
              <th scope="col" class="px-4 py-2 font-medium">Cache</th>
              <th scope="col" class="px-4 py-2 font-medium">Regions</th>
              <th scope="col" class="px-4 py-2"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody [class]="styles.tbody">
            @for (route of routes(); track route.id) {
              <tr>
                <td class="px-4 py-2 font-mono">{{ route.alias }}</td>
                <td class="px-4 py-2 font-mono">{{ targets(route) }}</td>
                <td class="px-4 py-2">{{ route.cache_ttl_s ? route.cache_ttl_s + ' s' : 'off' }}</td>
                <td class="px-4 py-2">{{ route.regions?.join(', ') || 'any' }}</td>
                <td class="px-4 py-2 text-right whitespace-nowrap">
                  @if (access.can('routes:write')) {
                    <button
                      type="button"
                      (click)="edit(route)"
                      [attr.aria-label]="'Edit ' + route.alias"
                      [class]="styles.secondary"
                    >
                      Edit
                    </button>
                    <span class="ml-2">
                      <tp-confirm-button
                        label="Delete"
                        [name]="'Delete ' + route.alias"
                        [confirm]="'Confirm deleting ' + route.alias"
                        (confirmed)="remove(route)"
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
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Routes implements OnInit {
  protected readonly access = inject(Access);
  protected readonly targets = describeTargets;
  protected readonly maxTargets = MAX_TARGETS;
  protected readonly styles = {
    input: INPUT,
    label: LABEL,
    button: PRIMARY_BUTTON,
    secondary: SECONDARY_BUTTON,
    frame: TABLE_FRAME,
    table: TABLE,
    thead: THEAD,
    tbody: TBODY,
  };
  private readonly fb = inject(NonNullableFormBuilder);
  protected readonly form = this.fb.group({
    alias: [''],
    targets: this.fb.array([this.target('', '')]),
    cacheTtlS: [''],
    regions: [''],
    fallbackMessage: [''],
  });
  protected readonly routes = signal<Route[] | null>(null);
  protected readonly editing = signal<Route | null>(null);
  protected readonly errors = signal<FormErrors>(NO_ERRORS);
  protected readonly error = signal('');
  protected readonly notice = signal('');
  protected readonly busy = signal(false);
  private readonly api = inject(RoutesApi);

  async ngOnInit(): Promise<void> {
    await this.load();
  }

  addTarget(): void {
    this.form.controls.targets.push(this.target('', ''));
  }

  removeTarget(index: number): void {
    this.form.controls.targets.removeAt(index);
  }

  edit(route: Route): void {
    this.fill(draftOf(route));
    this.editing.set(route);
    this.errors.set(NO_ERRORS);
    this.notice.set('');
  }

  cancelEdit(): void {
    this.editing.set(null);
    this.fill(emptyDraft());
    this.errors.set(NO_ERRORS);
  }

  async save(): Promise<void> {
    const draft: RouteDraft = this.form.getRawValue();
    const editing = this.editing();
    this.busy.set(true);
    this.errors.set(NO_ERRORS);
    this.notice.set('');
    try {
      const body = routeIn(draft);
      const saved = await firstValueFrom(
        editing ? this.api.replace(editing.id, body) : this.api.create(body),
      );
      this.notice.set(`${editing ? 'Saved' : 'Added'} the route ${saved.alias}: ${describeTargets(saved)}.`);
      this.editing.set(null);
      this.fill(emptyDraft());
      await this.load();
    } catch (error: unknown) {
      this.errors.set(formErrors(error, routeFields(draft.targets.length), ROUTE_ERROR_FIELDS));
    } finally {
      this.busy.set(false);
    }
  }

  async remove(route: Route): Promise<void> {
    this.error.set('');
    try {
      await firstValueFrom(this.api.remove(route.id));
      this.notice.set(`Deleted the route ${route.alias}.`);
      if (this.editing()?.id === route.id) {
        this.cancelEdit();
      }
      await this.load();
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    }
  }

  private target(provider: string, model: string) {
    return this.fb.group({ provider: [provider], model: [model] });
  }

  private fill(draft: RouteDraft): void {
    const targets = this.form.controls.targets;
    targets.clear();
    for (const t of draft.targets) {
      targets.push(this.target(t.provider, t.model));
    }
    this.form.patchValue({
      alias: draft.alias,
      cacheTtlS: draft.cacheTtlS,
      regions: draft.regions,
      fallbackMessage: draft.fallbackMessage,
    });
  }

  private async load(): Promise<void> {
    try {
      this.routes.set((await firstValueFrom(this.api.list())).data);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
      this.routes.set(this.routes() ?? []);
    }
  }
}
