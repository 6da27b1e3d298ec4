import { fillPath, queryParams } from './client';

describe('fillPath', () => {
  it('puts each value, URL-encoded, in its place', () => {
    expect(fillPath('/api/v1/keys/{key_id}/revoke', { key_id: 'a b/c' })).toBe(
      '/api/v1/keys/a%20b%2Fc/revoke',
    );
  });

  it('leaves a path without parameters alone', () => {
    expect(fillPath('/api/v1/keys', undefined)).toBe('/api/v1/keys');
  });

  it('refuses a missing value rather than calling a wrong URL', () => {
    expect(() => fillPath('/api/v1/keys/{key_id}', {})).toThrow(/key_id/);
  });
});

describe('queryParams', () => {
  it('drops what is unset and keeps falsy values that are set', () => {
    const params = queryParams({ limit: 0, cursor: undefined, status: null, group_by: 'day' });
    expect(params.keys()).toEqual(['limit', 'group_by']);
    expect(params.get('limit')).toBe('0');
  });

  it('repeats the parameter for each item of a list', () => {
    const params = queryParams({ tenant_id: ['t1', 't2'], limit: 5 });
    expect(params.getAll('tenant_id')).toEqual(['t1', 't2']);
    expect(params.toString()).toBe('tenant_id=t1&tenant_id=t2&limit=5');
  });
});
