import { Routes } from '@angular/router';

import { platformAdminGuard } from './admin-guard';
import { AdminShell } from './shell';

/** The platform admin area (`/console/admin`), one lazy chunk per page. */
export const adminRoutes: Routes = [
  {
    path: '',
    component: AdminShell,
    canActivate: [platformAdminGuard],
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'tenants' },
      {
        path: 'tenants',
        title: 'Tenants · Admin · TruePort',
        loadComponent: () => import('./tenants/tenants').then((m) => m.Tenants),
      },
      {
        path: 'users',
        title: 'Users · Admin · TruePort',
        loadComponent: () => import('./users/users').then((m) => m.Users),
      },
      {
        path: 'providers',
        title: 'Provider health · Admin · TruePort',
        loadComponent: () => import('./providers/providers').then((m) => m.Providers),
      },
      {
        path: 'usage',
        title: 'Usage · Admin · TruePort',
        loadComponent: () => import('./usage/usage').then((m) => m.AdminUsage),
      },
      {
        path: 'billing',
        title: 'Plans and pricing · Admin · TruePort',
        loadComponent: () => import('./billing/billing').then((m) => m.Billing),
      },
      {
        path: 'outbox',
        title: 'Outbox · Admin · TruePort',
        loadComponent: () => import('./outbox/outbox').then((m) => m.Outbox),
      },
      {
        path: 'master-key',
        title: 'Master key · Admin · TruePort',
        loadComponent: () => import('./master-key/master-key').then((m) => m.MasterKey),
      },
    ],
  },
];
