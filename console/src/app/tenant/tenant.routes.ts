import { Routes } from '@angular/router';

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
        title: 'Usage · TruePort',
        loadComponent: () => import('./usage/usage').then((m) => m.Usage),
      },
      {
        path: 'guard',
        loadChildren: () => import('./guard/guard.routes').then((m) => m.guardRoutes),
      },
      {
        path: 'keys',
        title: 'Keys · TruePort',
        loadComponent: () => import('./keys/keys').then((m) => m.Keys),
      },
    ],
  },
];
