import type { Schema } from '../../api/client';

export type Breaker = Schema<'BreakerOut'>;
export type ProvidersHealth = Schema<'ProvidersHealthOut'>;

/** How often the page asks again (breakers open and close within seconds). */
export const REFRESH_MS = 5_000;

/** A percentage of a 0..1 rate, one decimal: `0.125` → `12.5 %`. */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}

/** What a breaker's state means for traffic, for people. */
export function stateText(breaker: Breaker, nowMs: number = Date.now()): string {
  switch (breaker.state) {
    case 'closed':
      return 'Closed: calls go through';
    case 'half_open':
      return `Half-open: ${breaker.probes_in_flight} probe${breaker.probes_in_flight === 1 ? '' : 's'} in flight`;
    case 'open': {
      if (breaker.opened_until == null) {
        return 'Open: calls skip this target';
      }
      const left = Math.max(0, Math.ceil(breaker.opened_until - nowMs / 1000));
      return left > 0 ? `Open: calls skip this target for ${left} s more` : 'Open: the next call probes it';
    }
  }
}

/** Open breakers first, then half-open, then closed; by target within each. */
export function byUrgency(breakers: readonly Breaker[]): Breaker[] {
  const rank = { open: 0, half_open: 1, closed: 2 } as const;
  return [...breakers].sort((a, b) => rank[a.state] - rank[b.state] || a.target.localeCompare(b.target));
}

/** Where the state comes from, as the page says it. */
export function backendText(backend: string): string {
  if (backend === 'none') {
    return 'This process serves no gateway traffic (a control-only role): it has no breakers to show.';
  }
  if (backend.startsWith('redis')) {
    return backend.includes('degraded')
      ? 'Redis is unreachable: this shows the answering replica’s local state only.'
      : 'Shared by every replica through Redis.';
  }
  return 'Kept in the serving process (embedded mode): this is the state of the replica that answered.';
}
