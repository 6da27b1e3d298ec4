import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { Observable, of, throwError } from 'rxjs';

import { PoliciesApi, TriedFinding, TryResult } from '../policies-api';
import { PolicyTry, segments, utf8Bytes } from './policy-try';

function finding(start: number | null, end: number | null, action: TriedFinding['action']): TriedFinding {
  return { detector: 'd', type: 't', start, end, score: 0.9, action, shadow: false };
}

const ALLOWED: TryResult = {
  policy_version: 4,
  blocked: false,
  block: null,
  findings: [{ ...finding(8, 13, 'redact'), detector: 'pii', type: 'email' }],
  redacted_text: 'mail to ⟦EMAIL_1⟧ now',
  failures: [],
  deferred: ['injection'],
  skipped: [],
};

async function render(
  answer: () => Observable<TryResult>,
  draft: (() => Record<string, unknown> | null) | null,
) {
  const requests: unknown[] = [];
  TestBed.configureTestingModule({
    providers: [
      {
        provide: PoliciesApi,
        useValue: {
          try: (request: unknown) => {
            requests.push(request);
            return answer();
          },
        },
      },
    ],
  });
  const fixture = TestBed.createComponent(PolicyTry);
  fixture.componentRef.setInput('draft', draft);
  await fixture.whenStable();
  fixture.detectChanges();
  const root = fixture.nativeElement as HTMLElement;
  const type = (text: string) => {
    const area = root.querySelector<HTMLTextAreaElement>('#try-text')!;
    area.value = text;
    area.dispatchEvent(new Event('input'));
  };
  const click = async (label: string) => {
    [...root.querySelectorAll('button')].find((b) => b.textContent?.includes(label))!.click();
    await fixture.whenStable();
    fixture.detectChanges();
  };
  return { root, requests, type, click };
}

describe('segments', () => {
  it('cuts the text at the findings and marks each piece with the strongest action', () => {
    const text = 'abcdefghij';
    expect(segments(text, [finding(2, 6, 'flag'), finding(4, 8, 'block')])).toEqual([
      { text: 'ab', action: null, findings: '' },
      { text: 'cd', action: 'flag', findings: 'd t: flag' },
      { text: 'ef', action: 'block', findings: 'd t: flag, d t: block' },
      { text: 'gh', action: 'block', findings: 'd t: block' },
      { text: 'ij', action: null, findings: '' },
    ]);
  });

  it('leaves whole-text verdicts unmarked and keeps the text whole', () => {
    expect(segments('hello', [finding(null, null, 'block')])).toEqual([
      { text: 'hello', action: null, findings: '' },
    ]);
    expect(segments('', [])).toEqual([]);
  });

  it('counts the limit in UTF-8 bytes, as the server does', () => {
    expect(utf8Bytes('é')).toBe(2);
    expect(utf8Bytes('abc')).toBe(3);
  });
});

describe('PolicyTry', () => {
  it('tries the active policy without a draft and shows the findings, redaction and async detectors', async () => {
    const { root, requests, type, click } = await render(() => of(ALLOWED), null);
    expect(root.textContent).not.toContain('Try with the draft');
    type('mail to a@b.c now');
    await click('Try with the active policy');
    expect(requests).toEqual([{ text: 'mail to a@b.c now', source: 'user', direction: 'input' }]);
    expect(root.textContent).toContain('Result under version 4');
    expect(root.textContent).toContain('Allowed, with 1 finding.');
    expect(root.querySelector('mark')?.textContent).toBe('a@b.c');
    expect(root.querySelector('pre code')?.textContent).toBe('mail to ⟦EMAIL_1⟧ now');
    expect(root.textContent).toContain('asynchronous, after the call): injection');
  });

  it('says what is wrong with the draft, by field, and asks for a sample first', async () => {
    const refused = new HttpErrorResponse({
      status: 400,
      error: {
        error: { code: 'invalid_policy', message: 'invalid guard policy: detectors.pii.input.action: bad' },
      },
    });
    const { root, requests, type, click } = await render(
      () => throwError(() => refused),
      () => ({ detectors: {} }),
    );
    await click('Try with the draft');
    expect(requests).toEqual([]);
    expect(root.textContent).toContain('Paste a sample text first.');
    type('x');
    await click('Try with the draft');
    expect(requests).toEqual([{ text: 'x', source: 'user', direction: 'input', policy: { detectors: {} } }]);
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('detectors.pii.input.action');
  });

  it('refuses a sample over 32 KiB before asking the server', async () => {
    const { root, requests, type, click } = await render(() => of(ALLOWED), null);
    type('é'.repeat(16 * 1024 + 1));
    await click('Try with the active policy');
    expect(requests).toEqual([]);
    expect(root.textContent).toContain('longer than 32 KiB');
  });
});
