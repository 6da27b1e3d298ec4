import { Routes } from '@angular/router';

import { permitted } from '../../core/guards';
import { Guard } from './guard';

export const guardRoutes: Routes = [
  {
    path: '',
    component: Guard,
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'violations' },
      {
        path: 'violations',
        canActivate: [permitted('audit:read')],
        title: 'Violations · Guard · TruePort',
        loadComponent: () => import('./violations').then((m) => m.Violations),
      },
      {
        path: 'reviews',
        canActivate: [permitted('reviews:read')],
        title: 'Review queue · Guard · TruePort',
        loadComponent: () => import('./reviews').then((m) => m.Reviews),
      },
      {
        path: 'policy',
        canActivate: [permitted('tenant:read')],
        title: 'Policy · Guard · TruePort',
        loadComponent: () => import('./policy/policy').then((m) => m.Policy),
      },
    ],
  },
];
