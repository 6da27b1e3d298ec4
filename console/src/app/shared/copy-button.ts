import { ChangeDetectionStrategy, Component, DOCUMENT, inject, input, signal } from '@angular/core';

/** Copies `text` to the clipboard and says so for two seconds. */
@Component({
  selector: 'tp-copy-button',
  template: `
    <button
      type="button"
      (click)="copy()"
      class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-slate-600 dark:hover:bg-slate-800"
    >
      {{ state() === 'copied' ? 'Copied' : state() === 'failed' ? 'Copy failed: select the text' : label() }}
    </button>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CopyButton {
  readonly text = input.required<string>();
  readonly label = input('Copy');
  protected readonly state = signal<'idle' | 'copied' | 'failed'>('idle');
  private readonly document = inject(DOCUMENT);

  /** The clipboard needs a secure context (https, or http on localhost) and the person's consent. */
  async copy(): Promise<void> {
    try {
      await this.document.defaultView?.navigator.clipboard.writeText(this.text());
      this.state.set('copied');
    } catch {
      this.state.set('failed');
    }
    setTimeout(() => this.state.set('idle'), 3000);
  }
}
