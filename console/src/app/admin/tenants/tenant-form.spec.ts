import { createdMessage, tenantBody, TenantDraft } from './tenant-form';

const DRAFT: TenantDraft = { slug: 'acme', name: 'Acme Corp', ownerEmail: '', rpmLimit: '', tpmLimit: '' };

describe('tenantBody', () => {
  it('sends what was typed, trimmed, without the empty optional fields', () => {
    expect(tenantBody({ ...DRAFT, slug: ' Acme ', name: ' Acme Corp ' })).toEqual({
      slug: 'acme',
      name: 'Acme Corp',
    });
  });

  it('invites the owner and sets the limits when given', () => {
    expect(
      tenantBody({ ...DRAFT, ownerEmail: ' olga@acme.test ', rpmLimit: '600', tpmLimit: '200000' }),
    ).toEqual({
      slug: 'acme',
      name: 'Acme Corp',
      owner_email: 'olga@acme.test',
      rpm_limit: 600,
      tpm_limit: 200000,
    });
  });

  it('says what is wrong instead of sending a body the server would refuse', () => {
    expect(tenantBody({ ...DRAFT, slug: '-acme' })).toContain('slug');
    expect(tenantBody({ ...DRAFT, slug: 'a'.repeat(64) })).toContain('slug');
    expect(tenantBody({ ...DRAFT, slug: 'ac me' })).toContain('slug');
    expect(tenantBody({ ...DRAFT, name: '  ' })).toBe('Give the tenant a name.');
    expect(tenantBody({ ...DRAFT, rpmLimit: '0' })).toContain('Requests per minute');
    expect(tenantBody({ ...DRAFT, tpmLimit: '1.5' })).toContain('Tokens per minute');
    expect(tenantBody({ ...DRAFT, rpmLimit: '-3' })).toContain('Requests per minute');
  });
});

describe('createdMessage', () => {
  const tenant = {
    id: 't1',
    slug: 'acme',
    name: 'Acme Corp',
    rpm_limit: null,
    tpm_limit: null,
    disabled: false,
    disabled_at: null,
    created_at: '2026-12-07T10:00:00Z',
    updated_at: '2026-12-07T10:00:00Z',
  };
  const invitation = { id: 'i1', email: 'olga@acme.test', expires_at: '2026-12-14T10:00:00Z' };

  it('says whether the owner’s invitation went out', () => {
    expect(createdMessage({ ...tenant, owner_invitation: { ...invitation, email_sent: true } })).toBe(
      'Tenant acme created; the invitation of its owner olga@acme.test was e-mailed (valid until 2026-12-14).',
    );
    expect(createdMessage({ ...tenant, owner_invitation: { ...invitation, email_sent: false } })).toContain(
      'could not be e-mailed',
    );
    expect(createdMessage({ ...tenant, owner_invitation: null })).toBe(
      'Tenant acme created, without an owner.',
    );
  });
});
