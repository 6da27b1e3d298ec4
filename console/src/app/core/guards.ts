import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';

import { Access, Permission } from './permissions';
import { Session } from './session';

/** Pages behind sign-in: resume the cookie's session if there is one, else go to sign in. */
export const signedInGuard: CanActivateFn = async (_route, state) => {
  const session = inject(Session);
  const router = inject(Router); // before the await: inject() works only synchronously
  if (await session.restore()) {
    return true;
  }
  return router.createUrlTree(['/sign-in'], { queryParams: { next: state.url } });
};

/**
 * Pages of a tenant: the session must be bound to one, else pick it first. It waits for the
 * session to be resumed too: the router runs a route's guards at the same time, not in turn.
 */
export const tenantGuard: CanActivateFn = async () => {
  const session = inject(Session);
  const router = inject(Router);
  await session.restore();
  if (session.tenantId() === null) {
    return router.createUrlTree(['/select-tenant']);
  }
  await session.lookUpTenant(); // the role decides what the pages show: know it before they do
  return true;
};

/**
 * An area for roles with one of `needs` (e.g. Guard: `audit:read` or `reviews:read`); others go to
 * the overview rather than to a page of refusals. The API refuses them anyway.
 */
export function permitted(...needs: Permission[]): CanActivateFn {
  return async () => {
    const session = inject(Session);
    const access = inject(Access);
    const router = inject(Router);
    await session.restore();
    await session.lookUpTenant();
    return needs.some((permission) => access.can(permission)) || router.createUrlTree(['/overview']);
  };
}
