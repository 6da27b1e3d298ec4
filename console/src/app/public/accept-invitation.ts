import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../api/errors';
import { Accepted, AuthApi } from '../core/auth-api';
import { Alert } from '../shared/alert';
import { INPUT, LABEL, PRIMARY_BUTTON } from '../shared/form-styles';
import { PublicCard } from './public-card';

/** The page the invitation e-mail links to (`/accept-invitation?token=...` redirects here). */
@Component({
  selector: 'tp-accept-invitation',
  imports: [ReactiveFormsModule, RouterLink, PublicCard, Alert],
  template: `
    <tp-public-card title="Accept your invitation">
      @if (!token()) {
        <tp-alert>This link has no invitation token. Open the link from the e-mail again, whole.</tp-alert>
      } @else if (accepted(); as done) {
        <tp-alert kind="info">You are now a member of {{ done.tenant_slug }} as {{ done.role }}.</tp-alert>
        <p class="mt-4 text-sm">
          <a routerLink="/sign-in" class="text-indigo-600 hover:underline dark:text-indigo-400">Sign in</a>
        </p>
      } @else {
        <p class="mb-4 text-sm text-slate-600 dark:text-slate-300">
          New to TruePort? Choose your name and a password. If you already have an account, leave both empty:
          the membership is added to it.
        </p>
        <form [formGroup]="form" (ngSubmit)="submit()" class="space-y-4">
          <div>
            <label for="name" [class]="styles.label">Your name</label>
            <input id="name" formControlName="name" autocomplete="name" [class]="styles.input" />
          </div>
          <div>
            <label for="password" [class]="styles.label">Password</label>
            <input
              id="password"
              type="password"
              formControlName="password"
              autocomplete="new-password"
              [class]="styles.input"
            />
          </div>
          @if (error()) {
            <tp-alert>{{ error() }}</tp-alert>
          }
          <button type="submit" [disabled]="busy()" [class]="styles.button + ' w-full'">
            Accept invitation
          </button>
        </form>
      }
    </tp-public-card>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AcceptInvitation {
  readonly token = input<string>();
  protected readonly styles = { input: INPUT, label: LABEL, button: PRIMARY_BUTTON };
  protected readonly form = inject(NonNullableFormBuilder).group({ name: [''], password: [''] });
  protected readonly accepted = signal<Accepted | null>(null);
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly auth = inject(AuthApi);

  async submit(): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    try {
      const { name, password } = this.form.getRawValue();
      this.accepted.set(
        await firstValueFrom(this.auth.acceptInvitation(this.token() ?? '', name || null, password || null)),
      );
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
