import { Pager } from './pager';

describe('Pager', () => {
  it('starts on the first page, with no cursor', () => {
    const pager = new Pager();
    expect(pager.page()).toBe(1);
    expect(pager.current()).toBeUndefined();
    expect(pager.hasPrevious()).toBe(false);
    expect(pager.hasNext()).toBe(false);
  });

  it('goes forward with the answer’s cursor and back to the cursors seen', () => {
    const pager = new Pager();
    pager.nextCursor.set('c2');
    expect(pager.hasNext()).toBe(true);
    pager.next();
    expect(pager.page()).toBe(2);
    expect(pager.current()).toBe('c2');
    pager.nextCursor.set('c3');
    pager.next();
    expect(pager.current()).toBe('c3');
    pager.previous();
    expect(pager.page()).toBe(2);
    expect(pager.current()).toBe('c2');
    pager.previous();
    expect(pager.current()).toBeUndefined();
    pager.previous();
    expect(pager.page()).toBe(1);
  });

  it('does not go past the last page, and resets to the first', () => {
    const pager = new Pager();
    pager.next();
    expect(pager.page()).toBe(1);
    pager.nextCursor.set('c2');
    pager.next();
    pager.reset();
    expect(pager.page()).toBe(1);
    expect(pager.current()).toBeUndefined();
  });
});
