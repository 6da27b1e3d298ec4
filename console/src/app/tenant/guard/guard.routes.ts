import { Routes } from '@angular/router';

import { Guard } from './guard';

export const guardRoutes: Routes = [
  {
    path: '',
    component: Guard,
    children: [
      { path: '', pathMatch: 'full', redirectTo: 'violations' },
      {
        path: 'violations',
        title: 'Violations · Guard · TruePort',
        loadComponent: () => import('./violations').then((m) => m.Violations),
      },
      {
        path: 'reviews',
        title: 'Review queue · Guard · TruePort',
        loadComponent: () => import('./reviews').then((m) => m.Reviews),
      },
    ],
  },
];
