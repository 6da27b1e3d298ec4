import type { Flag } from './settings-api';
import { flagState, parseRegions, parseSettingValue, showValue } from './settings-text';

function flag(extra: Partial<Flag>): Flag {
  return {
    name: 'semantic_cache',
    description: '',
    default: false,
    tenant: null,
    installation: { enabled: false, percent: 100, tenants: [], keys: [] },
    ...extra,
  };
}

describe('settings text', () => {
  it('reads regions, blank as not pinned', () => {
    expect(parseRegions(' eu-west-1,westeurope  eu-west-1 ')).toEqual(['eu-west-1', 'westeurope']);
    expect(parseRegions('  ')).toBeNull();
  });

  it('reads a setting as JSON when it is JSON, else as text', () => {
    expect(parseSettingValue('42')).toBe(42);
    expect(parseSettingValue('{"a": [1]}')).toEqual({ a: [1] });
    expect(parseSettingValue('support team')).toBe('support team');
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(showValue('x')).toBe('x');
  });

  it('says what a flag does and whose rule decides', () => {
    expect(flagState(flag({}), 't1')).toEqual({ text: 'off', source: "the installation's rule" });
    expect(
      flagState(flag({ tenant: { enabled: true, percent: 30, tenants: [], keys: ['k1'] } }), 't1'),
    ).toEqual({ text: 'on for 30 % of keys, and always for 1 key', source: "the tenant's rule" });
    expect(
      flagState(flag({ installation: { enabled: true, percent: 0, tenants: ['t1'], keys: [] } }), 't1').text,
    ).toBe('on for every key');
    expect(
      flagState(flag({ installation: { enabled: true, percent: 100, tenants: [], keys: [] } }), 't1').text,
    ).toBe('on for every key');
  });
});
