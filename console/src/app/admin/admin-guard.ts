import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';

import { Profile } from '../core/profile';
import { Session } from '../core/session';

/**
 * The admin area is for platform admins: anyone else goes to the tenant picker rather than to a page
 * of refusals (the API refuses them anyway, 403 `platform_admin_required`).
 */
export const platformAdminGuard: CanActivateFn = async () => {
  const session = inject(Session);
  const profile = inject(Profile);
  const router = inject(Router); // before the awaits: inject() works only synchronously
  await session.restore();
  const me = await profile.lookUp();
  return me?.is_platform_admin === true || router.createUrlTree(['/select-tenant']);
};
