import { Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Panel } from './panel';

@Component({
  imports: [Panel],
  template: `
    <tp-panel headingId="new-budget" [heading]="heading()">
      <form aria-label="the form"><button type="submit">Add budget</button></form>
    </tp-panel>
  `,
})
class Host {
  readonly heading = signal('Add a budget');
}

describe('Panel', () => {
  it('is a region named by its heading, with the content inside', () => {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    const host = fixture.nativeElement as HTMLElement;
    const section = host.querySelector('section')!;
    const heading = section.querySelector('h2')!;
    expect(section.getAttribute('aria-labelledby')).toBe('new-budget');
    expect(heading.id).toBe('new-budget');
    expect(heading.textContent?.trim()).toBe('Add a budget');
    expect(section.querySelector('form button')?.textContent).toBe('Add budget');
    expect(host.querySelector('tp-panel')?.classList).toContain('contents');
  });

  it('follows a heading that changes', () => {
    const fixture = TestBed.createComponent(Host);
    fixture.detectChanges();
    fixture.componentInstance.heading.set('Edit the route chat');
    fixture.detectChanges();
    expect((fixture.nativeElement as HTMLElement).querySelector('h2')?.textContent?.trim()).toBe(
      'Edit the route chat',
    );
  });
});
