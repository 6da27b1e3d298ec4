import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';

import { Session } from './session';

/** Pages behind sign-in: resume the cookie's session if there is one, else go to sign in. */
export const signedInGuard: CanActivateFn = async (_route, state) => {
  const session = inject(Session);
  if (await session.restore()) {
    return true;
  }
  return inject(Router).createUrlTree(['/sign-in'], { queryParams: { next: state.url } });
};

/** Pages of a tenant: the session must be bound to one, else pick it first. */
export const tenantGuard: CanActivateFn = () => {
  const session = inject(Session);
  return session.tenantId() !== null || inject(Router).createUrlTree(['/select-tenant']);
};
