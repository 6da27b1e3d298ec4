import { Breaker, backendText, byUrgency, percent, stateText } from './breakers';

function breaker(target: string, state: Breaker['state'], extra: Partial<Breaker> = {}): Breaker {
  return {
    target,
    state,
    calls: 0,
    failure_rate: 0,
    slow_call_rate: 0,
    consecutive_failures: 0,
    openings: 0,
    opened_until: null,
    probes_in_flight: 0,
    ...extra,
  };
}

describe('breakers', () => {
  it('shows rates as percentages', () => {
    expect(percent(0)).toBe('0.0 %');
    expect(percent(0.125)).toBe('12.5 %');
    expect(percent(1)).toBe('100.0 %');
  });

  it('says how long an open breaker still refuses calls', () => {
    const now = 1_000_000_000_000; // ms
    expect(stateText(breaker('a/m', 'open', { opened_until: now / 1000 + 12.2 }), now)).toBe(
      'Open: calls skip this target for 13 s more',
    );
    expect(stateText(breaker('a/m', 'open', { opened_until: now / 1000 - 1 }), now)).toBe(
      'Open: the next call probes it',
    );
    expect(stateText(breaker('a/m', 'half_open', { probes_in_flight: 1 }), now)).toBe(
      'Half-open: 1 probe in flight',
    );
    expect(stateText(breaker('a/m', 'closed'), now)).toBe('Closed: calls go through');
  });

  it('lists open breakers first, then half-open, then closed', () => {
    const sorted = byUrgency([
      breaker('b/m', 'closed'),
      breaker('z/m', 'open'),
      breaker('a/m', 'closed'),
      breaker('c/m', 'half_open'),
      breaker('d/m', 'open'),
    ]);
    expect(sorted.map((b) => b.target)).toEqual(['d/m', 'z/m', 'c/m', 'a/m', 'b/m']);
  });

  it('says where the state comes from', () => {
    expect(backendText('redis')).toContain('every replica');
    expect(backendText('redis (degraded: local state)')).toContain('unreachable');
    expect(backendText('memory')).toContain('embedded');
    expect(backendText('none')).toContain('no breakers');
  });
});
