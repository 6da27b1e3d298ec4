import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { ConfirmButton } from './confirm-button';

@Component({
  imports: [ConfirmButton],
  template: `<tp-confirm-button
    label="Revoke"
    name="Revoke bot"
    confirm="Confirm revoking bot"
    (confirmed)="done.set(done() + 1)"
  />`,
})
class Host {
  readonly done = signal(0);
}

function texts(root: HTMLElement): string[] {
  return [...root.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? '');
}

describe('ConfirmButton', () => {
  it('acts only on the second press, and Cancel leaves it undone', async () => {
    const fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
    const root = fixture.nativeElement as HTMLElement;
    expect(root.querySelector('button')?.getAttribute('aria-label')).toBe('Revoke bot');
    root.querySelector('button')!.click();
    await fixture.whenStable();
    expect(texts(root)).toEqual(['Confirm revoking bot', 'Cancel']);
    root.querySelectorAll('button')[1].click();
    await fixture.whenStable();
    expect(texts(root)).toEqual(['Revoke']);
    expect(fixture.componentInstance.done()).toBe(0);
    root.querySelector('button')!.click();
    await fixture.whenStable();
    root.querySelector('button')!.click();
    await fixture.whenStable();
    expect(fixture.componentInstance.done()).toBe(1);
    expect(texts(root)).toEqual(['Revoke']);
  });
});
