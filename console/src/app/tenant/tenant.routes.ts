import { Routes } from '@angular/router';

import { permitted } from '../core/guards';
import { Shell } from './shell';

export const tenantRoutes: Routes = [
  {
    path: '',
    component: Shell,
    children: [
      {
        path: 'overview',
        title: 'Overview · TruePort',
        loadComponent: () => import('./overview/overview').then((m) => m.Overview),
      },
      {
        path: 'usage',
        canActivate: [permitted('usage:read')],
        title: 'Usage · TruePort',
        loadComponent: () => import('./usage/usage').then((m) => m.Usage),
      },
      {
        path: 'guard',
        canActivate: [permitted('audit:read', 'reviews:read')],
        loadChildren: () => import('./guard/guard.routes').then((m) => m.guardRoutes),
      },
      {
        path: 'keys',
        title: 'Keys · TruePort',
        loadComponent: () => import('./keys/keys').then((m) => m.Keys),
      },
      {
        path: 'members',
        canActivate: [permitted('members:read')],
        title: 'Members · TruePort',
        loadComponent: () => import('./members/members').then((m) => m.Members),
      },
      {
        path: 'webhooks',
        canActivate: [permitted('webhooks:read')],
        title: 'Webhooks · TruePort',
        loadComponent: () => import('./webhooks/webhooks').then((m) => m.Webhooks),
      },
      {
        path: 'credentials',
        canActivate: [permitted('credentials:read')],
        title: 'Provider credentials · TruePort',
        loadComponent: () => import('./credentials/credentials').then((m) => m.Credentials),
      },
      {
        path: 'routes',
        canActivate: [permitted('routes:read')],
        title: 'Routes · TruePort',
        loadComponent: () => import('./routes/routes').then((m) => m.Routes),
      },
      {
        path: 'budgets',
        canActivate: [permitted('budgets:read')],
        title: 'Budgets · TruePort',
        loadComponent: () => import('./budgets/budgets').then((m) => m.Budgets),
      },
      {
        path: 'audit',
        canActivate: [permitted('audit:read')],
        title: 'Audit · TruePort',
        loadComponent: () => import('./audit/audit').then((m) => m.Audit),
      },
      {
        path: 'settings',
        canActivate: [permitted('tenant:read')],
        title: 'Settings · TruePort',
        loadComponent: () => import('./settings/settings').then((m) => m.Settings),
      },
    ],
  },
];
