import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Loading } from './loading';

@Component({
  imports: [Loading],
  template: `<tp-loading>Loading budgets…</tp-loading>`,
})
class Host {}

describe('Loading', () => {
  it('says what loads, as a status, with no box of its own', () => {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    const status = host.querySelector('[role="status"]');
    expect(status?.tagName).toBe('P');
    expect(status?.textContent?.trim()).toBe('Loading budgets…');
    expect(host.querySelector('tp-loading')?.classList).toContain('contents');
  });
});
