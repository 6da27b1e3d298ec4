import type { AggregateRow, BreakdownRow } from '../usage/usage-api';

/** The overview's figures: the aggregate rows of a range, summed up. */
export interface Summary {
  requests: number;
  errors: number;
  tokens: number;
  costUsd: number;
  /** Mean latency over all requests (each row's mean weighted by its requests); null without any. */
  avgLatencyMs: number | null;
}

export function summarize(rows: readonly AggregateRow[]): Summary {
  let requests = 0;
  let errors = 0;
  let tokens = 0;
  let costUsd = 0;
  let latencyWeight = 0;
  let latencySum = 0;
  for (const row of rows) {
    requests += row.requests;
    errors += row.errors;
    tokens += row.prompt_tokens + row.completion_tokens;
    costUsd += Number(row.cost_usd);
    if (row.avg_latency_ms !== null) {
      latencySum += row.avg_latency_ms * row.requests;
      latencyWeight += row.requests;
    }
  }
  return {
    requests,
    errors,
    tokens,
    costUsd,
    avgLatencyMs: latencyWeight > 0 ? latencySum / latencyWeight : null,
  };
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

export function formatCost(usd: number): string {
  return `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

export function formatLatency(ms: number | null): string {
  if (ms === null) {
    return '—';
  }
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function errorRate(summary: Summary): string {
  return summary.requests === 0
    ? ''
    : `${((summary.errors / summary.requests) * 100).toFixed(1)} % of requests`;
}

/** A percentile of the roll-ups: the upper bound of the histogram bucket that holds it. */
export function formatBound(ms: number | null): string {
  return ms === null ? '—' : `≤ ${formatLatency(ms)}`;
}

/** The `limit` keys with the most requests, named (a deleted or unknown key by its id's start). */
export function topKeys(
  rows: readonly BreakdownRow[],
  names: ReadonlyMap<string, string>,
  limit: number,
): (BreakdownRow & { name: string })[] {
  return [...rows]
    .sort((a, b) => b.requests - a.requests)
    .slice(0, limit)
    .map((row) => ({
      ...row,
      name: row.group === null ? 'no key' : (names.get(row.group) ?? `key ${row.group.slice(0, 8)}…`),
    }));
}
