"""Roles and what each may do. ``docs/api.md`` shows this matrix; ``tests/platform/test_rbac.py`` checks
every endpoint against it role by role.

Keys belong to whoever created them: ``keys:write`` lets a member create keys and manage their own;
``keys:manage-all`` (owners and admins) reaches every key of the tenant.

Platform admins operate the installation (tenants); they are not members of tenants by virtue of
that, and see no tenant's data unless they are also a member of it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    AUDITOR = "auditor"


class Permission(StrEnum):
    TENANT_READ = "tenant:read"  # the tenant itself, its settings and feature flags
    TENANT_WRITE = "tenant:write"
    MEMBERS_READ = "members:read"  # members and invitations
    MEMBERS_WRITE = "members:write"
    OWNERS_WRITE = "owners:write"  # grant or take away the owner role
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"  # create keys, and change, rotate or revoke one's own
    KEYS_MANAGE_ALL = "keys:manage-all"  # change, rotate or revoke anyone's key (row-level, not a route's)
    CREDENTIALS_READ = "credentials:read"  # never the secret itself
    CREDENTIALS_WRITE = "credentials:write"
    ROUTES_READ = "routes:read"
    ROUTES_WRITE = "routes:write"
    USAGE_READ = "usage:read"
    AUDIT_READ = "audit:read"  # the audit trail, proofs and guard violations
    REVIEWS_READ = "reviews:read"  # guard findings waiting for a person
    REVIEWS_WRITE = "reviews:write"
    BUDGETS_READ = "budgets:read"
    BUDGETS_WRITE = "budgets:write"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    BILLING_READ = "billing:read"  # the tenant's plan, invoice previews and pricing overrides


_READ = frozenset(p for p in Permission if p.value.endswith(":read"))

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission) - {Permission.OWNERS_WRITE},
    Role.MEMBER: frozenset(
        {
            Permission.TENANT_READ,
            Permission.KEYS_READ,
            Permission.KEYS_WRITE,
            Permission.ROUTES_READ,
            Permission.CREDENTIALS_READ,
            Permission.USAGE_READ,
            Permission.BUDGETS_READ,
        }
    ),
    Role.AUDITOR: _READ,
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in MATRIX[role]
