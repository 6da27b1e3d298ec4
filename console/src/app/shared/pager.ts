import { computed, signal } from '@angular/core';

/**
 * Server-side paging over an API's cursors (`next_cursor`), which only go forward: the cursors of the
 * pages already seen are kept, so that "Previous" can ask for the page before again.
 */
export class Pager {
  /** The cursor of each page seen; the first page has none. */
  private readonly cursors = signal<(string | undefined)[]>([undefined]);
  /** The next page's cursor, from the answer for the current one; null on the last page. */
  readonly nextCursor = signal<string | null>(null);

  /** 1 for the first page. */
  readonly page = computed(() => this.cursors().length);
  readonly hasPrevious = computed(() => this.cursors().length > 1);
  readonly hasNext = computed(() => this.nextCursor() !== null);

  /** The cursor to ask the current page with. */
  current(): string | undefined {
    const cursors = this.cursors();
    return cursors[cursors.length - 1];
  }

  next(): void {
    const cursor = this.nextCursor();
    if (cursor !== null) {
      this.cursors.update((cursors) => [...cursors, cursor]);
      this.nextCursor.set(null);
    }
  }

  previous(): void {
    if (this.hasPrevious()) {
      this.cursors.update((cursors) => cursors.slice(0, -1));
      this.nextCursor.set(null);
    }
  }

  /** Back to the first page (the filters changed). */
  reset(): void {
    this.cursors.set([undefined]);
    this.nextCursor.set(null);
  }
}
