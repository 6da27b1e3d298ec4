import { Routes } from '@angular/router';

import { signedInGuard } from '../core/guards';

export const publicRoutes: Routes = [
  {
    path: 'sign-in',
    title: 'Sign in · TruePort',
    loadComponent: () => import('./sign-in').then((m) => m.SignIn),
  },
  {
    path: 'select-tenant',
    title: 'Choose a tenant · TruePort',
    canActivate: [signedInGuard],
    loadComponent: () => import('./select-tenant').then((m) => m.SelectTenant),
  },
  {
    path: 'accept-invitation',
    title: 'Accept your invitation · TruePort',
    loadComponent: () => import('./accept-invitation').then((m) => m.AcceptInvitation),
  },
  {
    path: 'reset-password',
    title: 'Reset your password · TruePort',
    loadComponent: () => import('./reset-password').then((m) => m.ResetPassword),
  },
];
