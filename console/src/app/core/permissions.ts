import { Injectable, computed, inject } from '@angular/core';

import type { Schema } from '../api/client';
import { Session } from './session';

export type Role = Schema<'Role'>;

/**
 * What a role may do in a tenant: the server's matrix (`trueport/platform/rbac.py`, published in
 * `docs/api.md`), copied here to decide what the console shows. The server decides what is allowed;
 * this only keeps the console from offering what it would refuse.
 */
export type Permission =
  | 'tenant:read'
  | 'tenant:write'
  | 'members:read'
  | 'members:write'
  | 'owners:write'
  | 'keys:read'
  | 'keys:write'
  | 'keys:manage-all'
  | 'credentials:read'
  | 'credentials:write'
  | 'routes:read'
  | 'routes:write'
  | 'usage:read'
  | 'audit:read'
  | 'reviews:read'
  | 'reviews:write'
  | 'budgets:read'
  | 'budgets:write'
  | 'webhooks:read'
  | 'webhooks:write'
  | 'billing:read';

const ALL: readonly Permission[] = [
  'tenant:read',
  'tenant:write',
  'members:read',
  'members:write',
  'owners:write',
  'keys:read',
  'keys:write',
  'keys:manage-all',
  'credentials:read',
  'credentials:write',
  'routes:read',
  'routes:write',
  'usage:read',
  'audit:read',
  'reviews:read',
  'reviews:write',
  'budgets:read',
  'budgets:write',
  'webhooks:read',
  'webhooks:write',
  'billing:read',
];

export const MATRIX: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(ALL),
  admin: new Set(ALL.filter((p) => p !== 'owners:write')),
  member: new Set<Permission>([
    'tenant:read',
    'keys:read',
    'keys:write',
    'routes:read',
    'credentials:read',
    'usage:read',
    'budgets:read',
  ]),
  auditor: new Set(ALL.filter((p) => p.endsWith(':read'))),
};

/** Whether `role` has `permission`; nothing is allowed while the role is unknown. */
export function allows(role: Role | null | undefined, permission: Permission): boolean {
  return role != null && MATRIX[role].has(permission);
}

/** Whether `role` (as user `userId`) may change or revoke a key: their own, or anyone's with manage-all. */
export function maySteerKey(
  role: Role | null | undefined,
  userId: string | null,
  key: { created_by: string | null },
): boolean {
  if (allows(role, 'keys:manage-all')) {
    return true;
  }
  return allows(role, 'keys:write') && userId !== null && key.created_by === userId;
}

/** The signed-in person's permissions in the selected tenant, for templates (`access.can('keys:write')`). */
@Injectable({ providedIn: 'root' })
export class Access {
  private readonly session = inject(Session);
  /** The role in the selected tenant; null until the shell has looked it up. */
  readonly role = computed<Role | null>(() => this.session.tenant()?.role ?? null);
  /** Reads only: an auditor's view (and everyone's while the role is unknown). */
  readonly readOnly = computed(() => !ALL.some((p) => !p.endsWith(':read') && allows(this.role(), p)));

  can(permission: Permission): boolean {
    return allows(this.role(), permission);
  }

  maySteerKey(key: { created_by: string | null }): boolean {
    return maySteerKey(this.role(), this.session.userId(), key);
  }
}
