import { attachmentName, bars } from './chart';

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
