import { errorRate, formatBound, formatCost, formatLatency, summarize, topKeys } from './summary';
import type { AggregateRow, BreakdownRow } from '../usage/usage-api';

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

function keyRow(group: string | null, requests: number): BreakdownRow {
  return {
    group,
    requests,
    errors: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cached_tokens: 0,
    cost_usd: '0',
    avg_latency_ms: null,
    p50_ms: 250,
    p95_ms: 1000,
    p99_ms: 1000,
    violations: 0,
  };
}

describe('topKeys', () => {
  it('keeps the keys with the most requests, named', () => {
    const names = new Map([['k1', 'support-bot']]);
    const rows = [keyRow('k2-long-identifier', 3), keyRow('k1', 9), keyRow(null, 1), keyRow('k3', 2)];
    expect(topKeys(rows, names, 3).map((r) => [r.name, r.requests])).toEqual([
      ['support-bot', 9],
      ['key k2-long-…', 3],
      ['key k3…', 2],
    ]);
    expect(topKeys([keyRow(null, 1)], names, 5)[0].name).toBe('no key');
  });
});

describe('formatBound', () => {
  it('shows a percentile as the bucket bound it is', () => {
    expect(formatBound(250)).toBe('≤ 250 ms');
    expect(formatBound(2500)).toBe('≤ 2.50 s');
    expect(formatBound(null)).toBe('—');
  });
});
