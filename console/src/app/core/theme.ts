import { DOCUMENT, Injectable, effect, inject, signal } from '@angular/core';

export type ThemeName = 'light' | 'dark';

const STORAGE_KEY = 'trueport.theme'; // a display preference, nothing secret

/** Light or dark: the person's last choice, else the system's; applied as the `dark` class on <html>. */
@Injectable({ providedIn: 'root' })
export class Theme {
  private readonly document = inject(DOCUMENT);
  readonly current = signal<ThemeName>(this.initial());

  constructor() {
    effect(() => {
      this.document.documentElement.classList.toggle('dark', this.current() === 'dark');
    });
  }

  toggle(): void {
    const next: ThemeName = this.current() === 'dark' ? 'light' : 'dark';
    this.current.set(next);
    this.document.defaultView?.localStorage.setItem(STORAGE_KEY, next);
  }

  private initial(): ThemeName {
    const window = this.document.defaultView;
    const saved = window?.localStorage.getItem(STORAGE_KEY);
    if (saved === 'light' || saved === 'dark') {
      return saved;
    }
    return window?.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
}
