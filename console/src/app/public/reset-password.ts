import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { firstValueFrom } from 'rxjs';

import { apiErrorMessage } from '../api/errors';
import { AuthApi } from '../core/auth-api';
import { Alert } from '../shared/alert';
import { INPUT, LABEL, PRIMARY_BUTTON } from '../shared/form-styles';
import { PublicCard } from './public-card';

/**
 * Without a token: ask for a reset link by e-mail. With the token of the e-mailed link
 * (`/reset-password?token=...` redirects here): set the new password.
 */
@Component({
  selector: 'tp-reset-password',
  imports: [ReactiveFormsModule, RouterLink, PublicCard, Alert],
  template: `
    <tp-public-card title="Reset your password">
      @if (done()) {
        <tp-alert kind="info">{{ done() }}</tp-alert>
        <p class="mt-4 text-sm">
          <a routerLink="/sign-in" class="text-indigo-600 hover:underline dark:text-indigo-400">Sign in</a>
        </p>
      } @else if (token()) {
        <form [formGroup]="confirmForm" (ngSubmit)="confirm()" class="space-y-4">
          <div>
            <label for="new-password" [class]="styles.label">New password</label>
            <input
              id="new-password"
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
            Set new password
          </button>
        </form>
      } @else {
        <form [formGroup]="requestForm" (ngSubmit)="request()" class="space-y-4">
          <div>
            <label for="email" [class]="styles.label">E-mail address</label>
            <input
              id="email"
              type="email"
              formControlName="email"
              autocomplete="username"
              [class]="styles.input"
            />
          </div>
          @if (error()) {
            <tp-alert>{{ error() }}</tp-alert>
          }
          <button type="submit" [disabled]="busy()" [class]="styles.button + ' w-full'">
            E-mail me a link
          </button>
        </form>
      }
    </tp-public-card>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ResetPassword {
  readonly token = input<string>();
  protected readonly styles = { input: INPUT, label: LABEL, button: PRIMARY_BUTTON };
  private readonly forms = inject(NonNullableFormBuilder);
  protected readonly requestForm = this.forms.group({ email: ['', [Validators.required, Validators.email]] });
  protected readonly confirmForm = this.forms.group({ password: ['', Validators.required] });
  protected readonly done = signal('');
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly auth = inject(AuthApi);

  request(): Promise<void> {
    return this.run(
      () => this.auth.requestPasswordReset(this.requestForm.getRawValue().email),
      'If the address has an account, a link to reset its password is on its way. It works once.',
    );
  }

  confirm(): Promise<void> {
    return this.run(
      () => this.auth.confirmPasswordReset(this.token() ?? '', this.confirmForm.getRawValue().password),
      'Your password is changed, and every session of yours has ended. Sign in with the new one.',
    );
  }

  private async run(call: () => ReturnType<AuthApi['requestPasswordReset']>, success: string): Promise<void> {
    this.busy.set(true);
    this.error.set('');
    try {
      await firstValueFrom(call());
      this.done.set(success);
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
