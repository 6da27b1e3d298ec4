/** The time ranges the dashboards offer, newest data last. */
export const RANGES = [
  { label: 'Last hour', hours: 1 },
  { label: 'Last 24 hours', hours: 24 },
  { label: 'Last 7 days', hours: 24 * 7 },
  { label: 'Last 30 days', hours: 24 * 30 },
] as const;

export function since(hours: number, now: number = Date.now()): Date {
  return new Date(now - hours * 3_600_000);
}

/** Hourly buckets up to two days (at most 48 bars), daily ones beyond. */
export function granularityFor(hours: number): 'hour' | 'day' {
  return hours <= 48 ? 'hour' : 'day';
}

/** `2026-12-07T10:57:13.120Z` → `2026-12-07 10:57:13 UTC`. */
export function formatUtc(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}
