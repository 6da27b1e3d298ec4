import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of, tap, throwError } from 'rxjs';

import { Role } from '../../../core/permissions';
import { Session } from '../../../core/session';
import { MembersApi } from '../../members/members-api';
import { PoliciesApi, PolicyVersion } from '../policies-api';
import { Policy } from './policy';

function version(n: number, threshold: number): PolicyVersion {
  return {
    version: n,
    policy: {
      version: n,
      detectors: { pii: { input: { action: 'redact', threshold }, output: { action: 'off' } } },
    },
    created_at: `2026-12-0${n}T10:00:00Z`,
    created_by: 'u1',
    source: 'tenant',
  };
}

const TRIED = {
  policy_version: null,
  blocked: true,
  block: { reason: 'violation' as const, detector: 'pii', type: 'email' },
  findings: [
    {
      detector: 'pii',
      type: 'email',
      start: 6,
      end: 15,
      score: 0.98,
      action: 'block' as const,
      shadow: false,
    },
  ],
  redacted_text: 'Write a@acme.io',
  failures: [],
  deferred: [],
  skipped: [],
};

const V1 = version(1, 0.5);
const V2 = version(2, 0.7);

async function render(role: Role, save = () => of(version(3, 0.9))) {
  const saved: unknown[] = [];
  const tried: unknown[] = [];
  let current = V2;
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      {
        provide: PoliciesApi,
        useValue: {
          active: () => of(current),
          versions: () => of({ data: [V1, V2], next_cursor: null }),
          save: (policy: unknown) => {
            saved.push(policy);
            return save().pipe(tap((version) => (current = version)));
          },
          rollback: () => of(version(3, 0.5)),
          try: (request: unknown) => {
            tried.push(request);
            return of(TRIED);
          },
        },
      },
      {
        provide: MembersApi,
        useValue: {
          list: () =>
            of({
              data: [
                {
                  id: 'm1',
                  user_id: 'u1',
                  email: 'olivia@acme.test',
                  name: 'O',
                  role: 'owner',
                  created_at: '',
                },
              ],
              next_cursor: null,
            }),
        },
      },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Policy);
  await fixture.whenStable();
  fixture.detectChanges();
  return { fixture, root: fixture.nativeElement as HTMLElement, saved, tried };
}

function buttons(root: HTMLElement): string[] {
  return [...root.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? '');
}

describe('Policy', () => {
  it('shows an auditor the active policy, its versions and their diff, and no control that changes it', async () => {
    const { root } = await render('auditor');
    expect(root.textContent).toContain('Version 2, saved 2026-12-02 10:00:00 UTC by olivia@acme.test');
    expect(root.textContent).toContain('redact · threshold 0.7');
    expect(root.textContent).toContain('reads the policy; an owner or admin changes it');
    expect(buttons(root)).toEqual(['Try with the active policy']); // trying changes nothing
    expect(root.querySelector('tp-policy-editor')).toBeNull();
    expect(root.querySelectorAll('textarea, input').length).toBe(1); // the sample
    const diff = root.querySelector('pre[aria-label="Differences"]')?.textContent ?? '';
    expect(diff).toContain('-         "threshold": 0.5');
    expect(diff).toContain('+         "threshold": 0.7');
  });

  it('offers an owner the editor and rollback of the earlier version', async () => {
    const { root } = await render('owner');
    expect(buttons(root)).toContain('Save as a new version');
    expect(buttons(root)).toContain('Roll back');
    const threshold = root.querySelector<HTMLInputElement>('#policy-pii-input-threshold');
    expect(threshold?.value).toBe('0.7');
  });

  it('saves the form’s values and shows the server’s problem next to its field', async () => {
    const refused = new HttpErrorResponse({
      status: 400,
      error: {
        error: {
          code: 'invalid_policy',
          message:
            'invalid guard policy: detectors.pii.input.threshold: Input should be less than or equal to 1',
        },
      },
    });
    const { fixture, root, saved } = await render('owner', () => throwError(() => refused));
    const threshold = root.querySelector<HTMLInputElement>('#policy-pii-input-threshold')!;
    threshold.value = '1.5';
    threshold.dispatchEvent(new Event('input'));
    root.querySelector<HTMLFormElement>('tp-policy-editor form')!.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    fixture.detectChanges();
    const detectors = (saved[0] as { detectors: { pii: { input: Record<string, unknown> } } }).detectors;
    expect(detectors.pii.input).toEqual({ action: 'redact', threshold: 1.5 });
    const error = root.querySelector('#policy-pii-input-threshold-error');
    expect(error?.textContent?.trim()).toBe('Input should be less than or equal to 1');
    expect(threshold.getAttribute('aria-describedby')).toBe('policy-pii-input-threshold-error');
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('The policy was not saved');
  });

  it('edits the new version after a save (the form follows the active policy)', async () => {
    const { fixture, root, saved } = await render('owner');
    const submit = () =>
      root.querySelector<HTMLFormElement>('tp-policy-editor form')!.dispatchEvent(new Event('submit'));
    submit();
    await fixture.whenStable();
    fixture.detectChanges();
    expect(root.querySelector('[role="status"]')?.textContent).toContain('Saved as version 3');
    const action = root.querySelector<HTMLSelectElement>('#policy-pii-input-action')!;
    expect(root.querySelector<HTMLInputElement>('#policy-pii-input-threshold')!.value).toBe('0.9');
    action.value = 'block';
    action.dispatchEvent(new Event('change'));
    submit();
    await fixture.whenStable();
    const second = saved[1] as { detectors: { pii: { input: Record<string, unknown> } } };
    expect(second.detectors.pii.input['action']).toBe('block');
  });

  it('tries a sample with the draft as edited, and shows what would be blocked', async () => {
    const { fixture, root, tried } = await render('owner');
    const action = root.querySelector<HTMLSelectElement>('#policy-pii-input-action')!;
    action.value = 'block';
    action.dispatchEvent(new Event('change'));
    const text = root.querySelector<HTMLTextAreaElement>('#try-text')!;
    text.value = 'Write a@acme.io';
    text.dispatchEvent(new Event('input'));
    const draftButton = [...root.querySelectorAll('button')].find((b) =>
      b.textContent?.includes('Try with the draft'),
    )!;
    draftButton.click();
    await fixture.whenStable();
    fixture.detectChanges();
    const request = tried[0] as {
      text: string;
      policy: { detectors: { pii: { input: { action: string } } } };
    };
    expect(request.text).toBe('Write a@acme.io');
    expect(request.policy.detectors.pii.input.action).toBe('block');
    expect(root.textContent).toContain('Blocked: pii found email.');
    expect(root.querySelector('mark')?.textContent).toBe('a@acme.io');
  });
});
