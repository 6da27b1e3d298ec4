import { TestBed } from '@angular/core/testing';

import { CopyButton } from './copy-button';

describe('CopyButton', () => {
  function render(writeText: (text: string) => Promise<void>): HTMLButtonElement {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const fixture = TestBed.createComponent(CopyButton);
    fixture.componentRef.setInput('text', 'tp-secret');
    fixture.componentRef.setInput('label', 'Copy secret');
    fixture.detectChanges();
    return fixture.nativeElement.querySelector('button') as HTMLButtonElement;
  }

  it('copies the text and says so', async () => {
    const copied: string[] = [];
    const button = render(async (text) => {
      copied.push(text);
    });
    expect(button.textContent?.trim()).toBe('Copy secret');
    button.click();
    await vi.waitFor(() => expect(button.textContent?.trim()).toBe('Copied'));
    expect(copied).toEqual(['tp-secret']);
  });

  it('says when the browser refuses', async () => {
    const button = render(() => Promise.reject(new Error('not allowed')));
    button.click();
    await vi.waitFor(() => expect(button.textContent?.trim()).toBe('Copy failed: select the text'));
  });
});
