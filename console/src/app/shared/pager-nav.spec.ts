import { TestBed } from '@angular/core/testing';

import { Pager } from './pager';
import { PagerNav } from './pager-nav';

describe('PagerNav', () => {
  function render(pager: Pager, labels: Record<string, string> = {}) {
    const fixture = TestBed.createComponent(PagerNav);
    fixture.componentRef.setInput('pager', pager);
    fixture.componentRef.setInput('label', 'Pages of users');
    for (const [name, value] of Object.entries(labels)) {
      fixture.componentRef.setInput(name, value);
    }
    let moved = 0;
    fixture.componentInstance.moved.subscribe(() => moved++);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    const buttons = () => Array.from(host.querySelectorAll('button'));
    return { fixture, host, buttons, moved: () => moved };
  }

  it('names the navigation and disables what cannot be done on the only page', () => {
    const { host, buttons } = render(new Pager());
    expect(host.querySelector('nav')?.getAttribute('aria-label')).toBe('Pages of users');
    expect(buttons().map((b) => [b.textContent?.trim(), b.disabled])).toEqual([
      ['Previous', true],
      ['Next', true],
    ]);
    expect(host.querySelector('span')?.textContent?.trim()).toBe('Page 1');
  });

  it('moves the pager forward and back and says so each time', () => {
    const pager = new Pager();
    pager.nextCursor.set('c2');
    const { fixture, host, buttons, moved } = render(pager);
    buttons()[1].click();
    fixture.detectChanges();
    expect(pager.current()).toBe('c2');
    expect(host.querySelector('span')?.textContent?.trim()).toBe('Page 2');
    expect(buttons()[0].disabled).toBe(false);
    expect(buttons()[1].disabled).toBe(true);
    buttons()[0].click();
    fixture.detectChanges();
    expect(pager.page()).toBe(1);
    expect(moved()).toBe(2);
  });

  it('takes other button texts', () => {
    const { buttons } = render(new Pager(), { previousLabel: 'Previous page', nextLabel: 'Next page' });
    expect(buttons().map((b) => b.textContent?.trim())).toEqual(['Previous page', 'Next page']);
  });
});
