import { formatAmount, parseThresholds, standing } from './budget-status';
import type { BudgetStatus } from './budgets-api';

function status(spent: string, reserved: string, extra: Partial<BudgetStatus> = {}): BudgetStatus {
  return {
    budget_id: 'b1',
    unit: 'usd',
    period_start: '2026-12-01T00:00:00Z',
    period_end: '2027-01-01T00:00:00Z',
    amount: '100.000000',
    spent,
    reserved,
    remaining: '0',
    alerts_sent: [],
    exhausted: false,
    ...extra,
  };
}

describe('standing', () => {
  it('counts what requests in flight hold as used', () => {
    expect(standing(status('30', '10'), [80])).toEqual({ used: 40, amount: 100, percent: 40, state: 'ok' });
  });

  it('is alerting from the lowest threshold on, or once an alert went out', () => {
    expect(standing(status('80', '0'), [90, 80]).state).toBe('alerting');
    expect(standing(status('10', '0', { alerts_sent: [50] }), [50]).state).toBe('alerting');
    expect(standing(status('79.99', '0'), [80]).state).toBe('ok');
  });

  it('says exhausted when the server does', () => {
    expect(standing(status('100', '0', { exhausted: true }), [80]).state).toBe('exhausted');
  });
});

describe('parseThresholds', () => {
  it('reads percentages separated by commas or spaces', () => {
    expect(parseThresholds('80, 50 100%')).toEqual([50, 80, 100]);
    expect(parseThresholds('')).toEqual([]);
    expect(parseThresholds('50,50')).toEqual([50]);
  });

  it('refuses what is not a whole number', () => {
    expect(parseThresholds('50, half')).toBeNull();
    expect(parseThresholds('12.5')).toBeNull();
  });
});

describe('formatAmount', () => {
  it('shows dollars and tokens', () => {
    expect(formatAmount('12.5', 'usd')).toBe('$12.50');
    expect(formatAmount(0.0123, 'usd')).toBe('$0.0123');
    expect(formatAmount('12000', 'tokens')).toBe('12,000 tokens');
  });
});
