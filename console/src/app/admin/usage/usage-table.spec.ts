import { TenantUsage } from './usage-api';
import { count, usageLines, usd } from './usage-table';

function usage(slug: string, requests: number, cost: string): TenantUsage {
  return {
    tenant_id: slug,
    slug,
    name: slug,
    requests,
    errors: 0,
    prompt_tokens: 10 * requests,
    completion_tokens: requests,
    cost_usd: cost,
    violations: 0,
  };
}

describe('usageLines', () => {
  it('gives each tenant its tokens and its share of requests and cost', () => {
    const lines = usageLines([usage('acme', 300, '3.00'), usage('beta', 100, '1.00')]);
    expect(lines.map((line) => [line.tenant.slug, line.tokens, line.requestShare, line.costShare])).toEqual([
      ['acme', 3300, '75.0 %', '75.0 %'],
      ['beta', 1100, '25.0 %', '25.0 %'],
    ]);
  });

  it('has no share of nothing', () => {
    const [line] = usageLines([usage('acme', 0, '0')]);
    expect(line.requestShare).toBe('—');
    expect(line.costShare).toBe('—');
  });

  it('formats counts and dollars', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(usd('0.001234')).toBe('$0.0012');
    expect(usd('12.3456')).toBe('$12.35');
  });
});
