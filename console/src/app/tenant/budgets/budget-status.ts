import type { BudgetStatus } from './budgets-api';

/** Where a budget stands in its period, for the meter and the words beside it. */
export interface Standing {
  /** Spent plus reserved, in the budget's unit. */
  used: number;
  amount: number;
  /** Share of the amount used, 0 to 100 (more when overspent by requests in flight). */
  percent: number;
  state: 'ok' | 'alerting' | 'exhausted';
}

export function standing(status: BudgetStatus, thresholds: readonly number[]): Standing {
  const amount = Number(status.amount);
  const used = Number(status.spent) + Number(status.reserved);
  const percent = amount > 0 ? (used / amount) * 100 : 0;
  const lowest = thresholds.length > 0 ? Math.min(...thresholds) : null;
  const state = status.exhausted
    ? 'exhausted'
    : status.alerts_sent.length > 0 || (lowest !== null && percent >= lowest)
      ? 'alerting'
      : 'ok';
  return { used, amount, percent, state };
}

/** `50, 80 100` → `[50, 80, 100]` (sorted, without repeats); null when something is not a whole number. */
export function parseThresholds(text: string): number[] | null {
  const parts = text
    .split(/[\s,%]+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.some((p) => !/^\d+$/.test(p))) {
    return null;
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

/** An amount in the budget's unit: `$12.50` or `12,000 tokens`. */
export function formatAmount(value: number | string, unit: string): string {
  const n = Number(value);
  if (unit === 'usd') {
    return `$${n < 1 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
  }
  return `${new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(n)} tokens`;
}
