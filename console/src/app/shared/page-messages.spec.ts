import { TestBed } from '@angular/core/testing';

import { PageMessages } from './page-messages';

describe('PageMessages', () => {
  function render(notice: string, error: string): HTMLElement {
    const fixture = TestBed.createComponent(PageMessages);
    fixture.componentRef.setInput('notice', notice);
    fixture.componentRef.setInput('error', error);
    fixture.detectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  it('shows nothing when neither is set', () => {
    const host = render('', '');
    expect(host.querySelector('[role]')).toBeNull();
    expect(host.textContent?.trim()).toBe('');
  });

  it('shows the notice as a status and the error as an alert, notice first', () => {
    const host = render('Budget added.', 'Refused: the key is revoked.');
    const shown = Array.from(host.querySelectorAll('[role]'));
    expect(shown.map((p) => [p.getAttribute('role'), p.textContent?.trim()])).toEqual([
      ['status', 'Budget added.'],
      ['alert', 'Refused: the key is revoked.'],
    ]);
    expect(host.querySelectorAll('div.mb-4').length).toBe(2);
  });

  it('shows an error alone', () => {
    const host = render('', 'Could not load the routes.');
    expect(host.querySelector('[role="status"]')).toBeNull();
    expect(host.querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not load the routes.');
  });

  it('adds no box of its own', () => {
    const host = render('Saved.', '');
    expect(host.classList).toContain('contents');
  });
});
