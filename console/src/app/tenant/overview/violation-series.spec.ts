import { chartLabel, stackedBars, totals, violationBuckets } from './violation-series';

const point = (bucket_start: string, block = 0, redact = 0, flag = 0, shadow = 0) => ({
  bucket_start,
  block,
  redact,
  flag,
  shadow,
});

describe('violationBuckets', () => {
  it('fills the hours without violations with zeros and sums each bucket', () => {
    const filled = violationBuckets(
      [point('2026-12-07T10:00:00Z', 2, 0, 1, 1)],
      '2026-12-07T08:30:00Z',
      '2026-12-07T11:15:00Z',
      'hour',
    );
    expect(filled.map((b) => [b.start.toISOString().slice(11, 13), b.total, b.block])).toEqual([
      ['08', 0, 0],
      ['09', 0, 0],
      ['10', 4, 2],
      ['11', 0, 0],
    ]);
  });

  it('counts days on UTC midnight and stops at 1,000 buckets', () => {
    const days = violationBuckets(
      [point('2026-12-06T00:00:00Z', 0, 5)],
      '2026-12-05T12:00:00Z',
      '2026-12-07T00:00:00Z',
      'day',
    );
    expect(days.map((b) => b.redact)).toEqual([0, 5]);
    expect(violationBuckets([], '2020-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'hour')).toHaveLength(1000);
  });
});

describe('totals', () => {
  it('sums every kind over the buckets', () => {
    expect(totals([point('a', 1, 2, 3, 4), point('b', 1, 0, 0, 1)])).toEqual({
      block: 2,
      redact: 2,
      flag: 3,
      shadow: 5,
    });
    expect(totals([])).toEqual({ block: 0, redact: 0, flag: 0, shadow: 0 });
  });
});

describe('stackedBars', () => {
  const buckets = violationBuckets(
    [point('2026-12-07T09:00:00Z', 1, 0, 0, 0), point('2026-12-07T10:00:00Z', 2, 0, 1, 1)],
    '2026-12-07T08:00:00Z',
    '2026-12-07T11:00:00Z',
    'hour',
  );

  it('stacks the kinds of a bucket in proportion, blocked at the bottom, and skips empty ones', () => {
    const segments = stackedBars(buckets, 'hour', 300, 100);
    expect(segments.map((s) => [s.x, s.y, s.height])).toEqual([
      [100, 75, 25], // 09:00: one of the highest bucket's four
      [200, 50, 50], // 10:00: 2 blocked of 4, from the bottom
      [200, 25, 25], // then 1 flagged
      [200, 0, 25], // then 1 in shadow mode, up to the top
    ]);
    expect(segments[1].label).toBe('2026-12-07 10:00 UTC: 2 blocked');
    expect(segments[1].fill).toContain('fill-red-500');
    expect(segments[3].label).toBe('2026-12-07 10:00 UTC: 1 shadow');
  });

  it('draws nothing when there are no violations', () => {
    expect(
      stackedBars(
        violationBuckets([], '2026-12-07T08:00:00Z', '2026-12-07T11:00:00Z', 'hour'),
        'hour',
        300,
        100,
      ),
    ).toEqual([]);
  });
});

describe('chartLabel', () => {
  it('names the total and the kinds that have any', () => {
    expect(chartLabel({ block: 2, redact: 0, flag: 1, shadow: 0 }, 'hour')).toBe(
      'Violations per hour: 3 (2 blocked, 1 flagged)',
    );
    expect(chartLabel({ block: 0, redact: 0, flag: 0, shadow: 0 }, 'day')).toBe('Violations per day: 0');
  });
});
