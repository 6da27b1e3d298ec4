import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';

import { apiErrorMessage } from '../api/errors';
import { Session } from '../core/session';
import { Alert } from '../shared/alert';
import { INPUT, LABEL, PRIMARY_BUTTON } from '../shared/form-styles';
import { PublicCard } from './public-card';

@Component({
  selector: 'tp-sign-in',
  imports: [ReactiveFormsModule, RouterLink, PublicCard, Alert],
  template: `
    <tp-public-card title="Sign in">
      <form [formGroup]="form" (ngSubmit)="submit()" class="space-y-4">
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
        <div>
          <label for="password" [class]="styles.label">Password</label>
          <input
            id="password"
            type="password"
            formControlName="password"
            autocomplete="current-password"
            [class]="styles.input"
          />
        </div>
        @if (error()) {
          <tp-alert>{{ error() }}</tp-alert>
        }
        <button type="submit" [disabled]="busy()" [class]="styles.button + ' w-full'">Sign in</button>
      </form>
      <p class="mt-4 text-sm">
        <a routerLink="/reset-password" class="text-indigo-600 hover:underline dark:text-indigo-400">
          Forgot your password?
        </a>
      </p>
    </tp-public-card>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SignIn {
  /** Where to go once signed in (set by the guard that sent the person here). */
  readonly next = input<string>();
  protected readonly styles = { input: INPUT, label: LABEL, button: PRIMARY_BUTTON };
  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', Validators.required],
  });
  protected readonly error = signal('');
  protected readonly busy = signal(false);
  private readonly session = inject(Session);
  private readonly router = inject(Router);

  async submit(): Promise<void> {
    if (this.form.invalid) {
      this.error.set('Enter your e-mail address and your password.');
      return;
    }
    this.busy.set(true);
    this.error.set('');
    try {
      const { email, password } = this.form.getRawValue();
      await this.session.signIn(email, password);
      const next = this.next();
      await this.router.navigateByUrl(
        next?.startsWith('/') ? `/select-tenant?next=${encodeURIComponent(next)}` : '/select-tenant',
      );
    } catch (error: unknown) {
      this.error.set(apiErrorMessage(error));
    } finally {
      this.busy.set(false);
    }
  }
}
