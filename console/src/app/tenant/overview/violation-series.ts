import { bars } from '../usage/chart';

/** What a violation did: enforced per action, or recorded in shadow mode (the API's point fields). */
export type ViolationKind = 'block' | 'redact' | 'flag' | 'shadow';

/** The chart's series, bottom to top, with their legend names and colours. */
export const KINDS: readonly { kind: ViolationKind; label: string; fill: string }[] = [
  { kind: 'block', label: 'Blocked', fill: 'fill-red-500 bg-red-500' },
  { kind: 'redact', label: 'Redacted', fill: 'fill-amber-500 bg-amber-500' },
  { kind: 'flag', label: 'Flagged', fill: 'fill-sky-500 bg-sky-500' },
  { kind: 'shadow', label: 'Shadow', fill: 'fill-slate-400 bg-slate-400' },
];

export type Counts = Record<ViolationKind, number>;

/** One bucket of `GET /violations/timeseries` (only the fields the chart reads). */
export interface ViolationPoint extends Counts {
  bucket_start: string;
}

export interface ViolationBucket extends Counts {
  start: Date;
  total: number;
}

/** One coloured part of a bar, in the SVG's own units. */
export interface Segment {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
  label: string;
}

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;
const NONE: Counts = { block: 0, redact: 0, flag: 0, shadow: 0 };

/**
 * Every hour or day of `[since, until)`, oldest first, with the counts of the point that falls in
 * it and zeros for the others (the API lists only buckets with violations). At most 1,000 buckets.
 */
export function violationBuckets(
  points: readonly ViolationPoint[],
  since: string,
  until: string,
  granularity: 'hour' | 'day',
): ViolationBucket[] {
  const size = BUCKET_MS[granularity];
  const byBucket = new Map(points.map((p) => [Math.floor(Date.parse(p.bucket_start) / size), p]));
  const first = Math.floor(Date.parse(since) / size);
  const last = Math.ceil(Date.parse(until) / size);
  const buckets: ViolationBucket[] = [];
  for (let n = first; n < last && buckets.length < 1000; n++) {
    const { block, redact, flag, shadow } = byBucket.get(n) ?? NONE;
    buckets.push({
      start: new Date(n * size),
      block,
      redact,
      flag,
      shadow,
      total: block + redact + flag + shadow,
    });
  }
  return buckets;
}

/** The sums of every bucket, per kind. */
export function totals(buckets: readonly Counts[]): Counts {
  const sum = { ...NONE };
  for (const bucket of buckets) {
    for (const { kind } of KINDS) {
      sum[kind] += bucket[kind];
    }
  }
  return sum;
}

/**
 * Stacked bars: each bucket's bar as the usage chart scales it (`bars`), cut into one segment per
 * kind with violations, in proportion, blocked at the bottom. Buckets without any draw nothing.
 */
export function stackedBars(
  buckets: readonly ViolationBucket[],
  granularity: 'hour' | 'day',
  width: number,
  height: number,
): Segment[] {
  const unit = granularity === 'hour' ? 16 : 10; // '2026-12-07 10:00' or '2026-12-07'
  const columns = bars(
    buckets.map((b) => ({
      value: b.total,
      label: `${b.start.toISOString().slice(0, unit).replace('T', ' ')} UTC`,
    })),
    width,
    height,
  );
  const segments: Segment[] = [];
  columns.forEach((column, i) => {
    const bucket = buckets[i];
    let bottom = column.y + column.height;
    for (const { kind, label, fill } of KINDS) {
      if (bucket[kind] === 0) {
        continue;
      }
      const part = (bucket[kind] / bucket.total) * column.height;
      bottom -= part;
      segments.push({
        x: column.x,
        y: bottom,
        width: column.width,
        height: part,
        fill,
        label: `${column.label}: ${bucket[kind]} ${label.toLowerCase()}`,
      });
    }
  });
  return segments;
}

/** What the chart shows, for a screen reader: `Violations per hour: 3 (2 blocked, 1 flagged)`. */
export function chartLabel(counts: Counts, granularity: 'hour' | 'day'): string {
  const all = KINDS.reduce((sum, { kind }) => sum + counts[kind], 0);
  const parts = KINDS.filter(({ kind }) => counts[kind] > 0).map(
    ({ kind, label }) => `${counts[kind]} ${label.toLowerCase()}`,
  );
  return `Violations per ${granularity}: ${all}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
