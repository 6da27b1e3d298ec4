import type { CreatedTenant, NewTenant } from './tenants-api';

/** What the "Create a tenant" form holds (every field a string, as typed). */
export interface TenantDraft {
  slug: string;
  name: string;
  ownerEmail: string;
  rpmLimit: string;
  tpmLimit: string;
}

/** A DNS label, as the server requires (it becomes the subdomain `<slug>.<base domain>`). */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The request body for a draft, or what is wrong with it (the server checks again; this spares a
 * round trip for what is plainly missing). Empty optional fields are left out.
 */
export function tenantBody(draft: TenantDraft): NewTenant | string {
  const slug = draft.slug.trim().toLowerCase();
  const name = draft.name.trim();
  if (!SLUG_PATTERN.test(slug)) {
    return 'The slug must be lower-case letters, digits and hyphens (not at either end), at most 63.';
  }
  if (!name) {
    return 'Give the tenant a name.';
  }
  const body: NewTenant = { slug, name };
  const owner = draft.ownerEmail.trim();
  if (owner) {
    body.owner_email = owner;
  }
  for (const [field, text] of [
    ['rpm_limit', draft.rpmLimit],
    ['tpm_limit', draft.tpmLimit],
  ] as const) {
    const value = text.trim();
    if (!value) {
      continue;
    }
    if (!/^\d+$/.test(value) || Number(value) <= 0) {
      return `${field === 'rpm_limit' ? 'Requests' : 'Tokens'} per minute must be a whole number above 0, or empty for no limit.`;
    }
    body[field] = Number(value);
  }
  return body;
}

/** What to tell the admin once the tenant exists: whether its owner's invitation went out. */
export function createdMessage(created: CreatedTenant): string {
  const invitation = created.owner_invitation;
  if (invitation == null) {
    return `Tenant ${created.slug} created, without an owner.`;
  }
  if (invitation.email_sent) {
    return `Tenant ${created.slug} created; the invitation of its owner ${invitation.email} was e-mailed (valid until ${invitation.expires_at.slice(0, 10)}).`;
  }
  return `Tenant ${created.slug} created, but the invitation of ${invitation.email} could not be e-mailed: check the server's mail settings.`;
}
