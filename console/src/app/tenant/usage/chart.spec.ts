import { attachmentName, bars, everyBucket } from './chart';

describe('bars', () => {
  it('scales the highest value to the full height and keeps small ones visible', () => {
    const drawn = bars(
      [
        { value: 0, label: 'a' },
        { value: 1, label: 'b' },
        { value: 200, label: 'c' },
      ],
      300,
      100,
    );
    expect(drawn.map((bar) => bar.height)).toEqual([0, 1, 100]);
    expect(drawn.map((bar) => bar.x)).toEqual([0, 100, 200]);
    expect(drawn[2]).toMatchObject({ y: 0, width: 98, label: 'c' });
    expect(drawn[1].y).toBe(99);
  });

  it('draws nothing without values, and flat bars when all are zero', () => {
    expect(bars([], 300, 100)).toEqual([]);
    expect(bars([{ value: 0, label: 'a' }], 300, 100)[0].height).toBe(0);
  });
});

describe('attachmentName', () => {
  it('reads the file name of the header', () => {
    expect(attachmentName('attachment; filename="usage-acme.csv"', 'x.csv')).toBe('usage-acme.csv');
    expect(attachmentName('attachment; filename=plain.csv', 'x.csv')).toBe('plain.csv');
  });

  it('falls back without one', () => {
    expect(attachmentName(null, 'usage.csv')).toBe('usage.csv');
    expect(attachmentName('inline', 'usage.csv')).toBe('usage.csv');
  });
});

describe('everyBucket', () => {
  it('fills the hours without traffic with zeros', () => {
    const filled = everyBucket(
      [{ bucket_start: '2026-12-07T10:00:00Z', requests: 3 }],
      '2026-12-07T08:30:00Z',
      '2026-12-07T11:15:00Z',
      'hour',
    );
    expect(filled.map((b) => [b.start.toISOString().slice(11, 13), b.requests])).toEqual([
      ['08', 0],
      ['09', 0],
      ['10', 3],
      ['11', 0],
    ]);
  });

  it('counts days on UTC midnight', () => {
    const filled = everyBucket(
      [{ bucket_start: '2026-12-06T00:00:00Z', requests: 5 }],
      '2026-12-05T12:00:00Z',
      '2026-12-07T00:00:00Z',
      'day',
    );
    expect(filled.map((b) => b.requests)).toEqual([0, 5]);
  });
});
