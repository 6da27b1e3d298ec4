import { errorRate, formatCost, formatLatency, summarize } from './summary';
import type { AggregateRow } from '../usage/usage-api';

function row(requests: number, avgLatencyMs: number | null, extra: Partial<AggregateRow> = {}): AggregateRow {
  return {
    group: '2026-12-07',
    requests,
    errors: 0,
    prompt_tokens: 10,
    completion_tokens: 5,
    cached_tokens: 0,
    cost_usd: '0.0010',
    avg_latency_ms: avgLatencyMs,
    ...extra,
  };
}

describe('summarize', () => {
  it('sums the rows and weighs each mean latency by its requests', () => {
    const summary = summarize([row(1, 100, { errors: 1 }), row(3, 200)]);
    expect(summary).toEqual({ requests: 4, errors: 1, tokens: 30, costUsd: 0.002, avgLatencyMs: 175 });
    expect(errorRate(summary)).toBe('25.0 % of requests');
  });

  it('has no latency and no error rate without requests', () => {
    const summary = summarize([]);
    expect(summary.avgLatencyMs).toBeNull();
    expect(formatLatency(summary.avgLatencyMs)).toBe('—');
    expect(errorRate(summary)).toBe('');
  });
});

describe('formats', () => {
  it('shows small costs to the hundredth of a cent', () => {
    expect(formatCost(0.00042)).toBe('$0.0004');
    expect(formatCost(12.345)).toBe('$12.35');
  });

  it('shows latency in ms below a second', () => {
    expect(formatLatency(412.4)).toBe('412 ms');
    expect(formatLatency(1530)).toBe('1.53 s');
  });
});
