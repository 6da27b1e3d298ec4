import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { Review, ReviewsApi, Verdict } from './reviews-api';
import { Reviews } from './reviews';

const ITEM: Review = {
  id: 'r1',
  request_id: 'req-1',
  key_id: null,
  direction: 'input',
  detector: 'injection',
  type: 'prompt_injection',
  score: 0.97,
  location: 'messages[1].content',
  policy_version: 4,
  status: 'open',
  note: '',
  resolved_by: null,
  resolved_at: null,
  created_at: '2026-12-07T10:00:00Z',
};

describe('Reviews', () => {
  let resolved: [string, Verdict, string][];

  async function render(role: Role) {
    resolved = [];
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        {
          provide: ReviewsApi,
          useValue: {
            list: () => of({ data: [ITEM], next_cursor: null }),
            resolve: (id: string, status: Verdict, note: string) => {
              resolved.push([id, status, note]);
              return of({ ...ITEM, status, note });
            },
          },
        },
      ],
    });
    TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
    const fixture = TestBed.createComponent(Reviews);
    await fixture.whenStable();
    fixture.detectChanges();
    const root = fixture.nativeElement as HTMLElement;
    const button = (name: string) =>
      [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;
    return { fixture, root, button };
  }

  it('shows an auditor the item and no verdict to give', async () => {
    const { fixture, root, button } = await render('auditor');
    expect(root.textContent).toContain('reads the queue');
    button('Details')!.click();
    fixture.detectChanges();
    expect(root.textContent).toContain('req-1');
    expect(button('Confirm violation')).toBeNull();
    expect(button('Dismiss as false positive')).toBeNull();
    expect(root.querySelector('textarea')).toBeNull();
  });

  it('lets an admin dismiss an item with a note', async () => {
    const { fixture, root, button } = await render('admin');
    button('Review')!.click();
    fixture.detectChanges();
    const note = root.querySelector('textarea')!;
    note.value = 'A quoted example, not an attack.';
    note.dispatchEvent(new Event('input'));
    button('Dismiss as false positive')!.click();
    await fixture.whenStable();
    fixture.detectChanges();
    expect(resolved).toEqual([['r1', 'dismissed', 'A quoted example, not an attack.']]);
    expect(root.textContent).toContain('dismissed as a false positive');
  });
});
