import { Routes } from '@angular/router';

import { signedInGuard, tenantGuard } from './core/guards';

/** One lazy chunk per area: the public pages, the platform admin area and the tenant area, behind sign-in. */
export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'overview' },
  { path: '', loadChildren: () => import('./public/public.routes').then((m) => m.publicRoutes) },
  {
    path: 'admin',
    canActivate: [signedInGuard],
    loadChildren: () => import('./admin/admin.routes').then((m) => m.adminRoutes),
  },
  {
    path: '',
    canActivate: [signedInGuard, tenantGuard],
    loadChildren: () => import('./tenant/tenant.routes').then((m) => m.tenantRoutes),
  },
  { path: '**', redirectTo: 'overview' },
];
