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
      {{ copied() ? 'Copied' : label() }}
    </button>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CopyButton {
  readonly text = input.required<string>();
  readonly label = input('Copy');
  protected readonly copied = signal(false);
  private readonly document = inject(DOCUMENT);

  async copy(): Promise<void> {
    await this.document.defaultView?.navigator.clipboard.writeText(this.text());
    this.copied.set(true);
    setTimeout(() => this.copied.set(false), 2000);
  }
}
