/** One bar of a chart, in the SVG's own units (the view box is `0 0 width height`). */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** What the bar shows, for its tooltip (`<title>`). */
  label: string;
}

/**
 * Bars for `values` side by side across `width`, scaled so that the highest reaches `height`; a
 * value above zero is at least one unit tall, so that a single request still shows.
 */
export function bars(
  values: readonly { value: number; label: string }[],
  width: number,
  height: number,
  gap = 2,
): Bar[] {
  if (values.length === 0) {
    return [];
  }
  const max = Math.max(...values.map((v) => v.value));
  const slot = width / values.length;
  const barWidth = Math.max(slot - gap, 1);
  return values.map(({ value, label }, i) => {
    const barHeight = max > 0 && value > 0 ? Math.max((value / max) * height, 1) : 0;
    return { x: i * slot, y: height - barHeight, width: barWidth, height: barHeight, label };
  });
}

/** The file name a `Content-Disposition: attachment; filename="…"` header gives, or a fallback. */
export function attachmentName(header: string | null, fallback: string): string {
  const match = header?.match(/filename="?([^";]+)"?/);
  return match?.[1] ?? fallback;
}

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Every bucket of `[since, until)`, oldest first, with the requests of the points that fall in it
 * and 0 for the others: the API lists only buckets with traffic, and a chart of those alone would
 * put an idle night next to a busy morning. Buckets start on the UTC hour or day, as the API's do.
 */
export function everyBucket(
  points: readonly { bucket_start: string; requests: number }[],
  since: string,
  until: string,
  granularity: 'hour' | 'day',
): { start: Date; requests: number }[] {
  const size = BUCKET_MS[granularity];
  const counts = new Map(points.map((p) => [Math.floor(Date.parse(p.bucket_start) / size), p.requests]));
  const first = Math.floor(Date.parse(since) / size);
  const last = Math.ceil(Date.parse(until) / size);
  const buckets: { start: Date; requests: number }[] = [];
  for (let n = first; n < last && buckets.length < 1000; n++) {
    buckets.push({ start: new Date(n * size), requests: counts.get(n) ?? 0 });
  }
  return buckets;
}
