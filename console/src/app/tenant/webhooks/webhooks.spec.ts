import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { chosenTopics, Webhooks } from './webhooks';
import { Delivery, Webhook, WebhooksApi } from './webhooks-api';

const HOOK: Webhook = {
  id: 'w1',
  url: 'https://hooks.acme.test/in',
  topics: ['inference.events.v1'],
  description: 'billing sync',
  active: true,
  created_at: '2026-12-01T10:00:00Z',
  updated_at: '2026-12-01T10:00:00Z',
};

const DEAD: Delivery = {
  id: 'd1',
  webhook_id: 'w1',
  event_id: 'e1',
  topic: 'inference.events.v1',
  status: 'dead',
  attempts: 5,
  last_status: 503,
  last_error: 'HTTP 503',
  next_attempt_at: null,
  created_at: '2026-12-01T10:00:00Z',
  delivered_at: null,
  event: {},
};

async function render(role: Role) {
  const calls: unknown[][] = [];
  let dead = [DEAD];
  TestBed.configureTestingModule({
    providers: [
      {
        provide: WebhooksApi,
        useValue: {
          list: () => of({ data: [HOOK], next_cursor: null }),
          deadLetters: () => of({ data: dead, next_cursor: null }),
          deliveries: (id: string) => {
            calls.push(['deliveries', id]);
            return of({
              data: [{ ...DEAD, status: 'delivered', attempts: 1, last_error: null }],
              next_cursor: null,
            });
          },
          create: (body: unknown) => {
            calls.push(['create', body]);
            return of({ ...HOOK, id: 'w2', secret: 'whsec_shown_once' });
          },
          replay: (id: string) => {
            calls.push(['replay', id]);
            dead = [];
            return of({ ...DEAD, status: 'pending', attempts: 0 });
          },
          setActive: (id: string, active: boolean) => {
            calls.push(['active', id, active]);
            return of({ ...HOOK, active });
          },
          remove: (id: string) => {
            calls.push(['remove', id]);
            return of(null);
          },
        },
      },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Webhooks);
  await fixture.whenStable();
  fixture.detectChanges();
  const root = fixture.nativeElement as HTMLElement;
  const click = async (text: string) => {
    const button = [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === text);
    expect(button, text).toBeDefined();
    button!.click();
    await fixture.whenStable();
    fixture.detectChanges();
  };
  return { fixture, root, calls, click };
}

describe('chosenTopics', () => {
  it('names the ticked topics in the server’s order', () => {
    expect(chosenTopics([true, false, true, false])).toEqual(['inference.events.v1', 'hitl.events.v1']);
    expect(chosenTopics([])).toEqual([]);
  });
});

describe('Webhooks', () => {
  it('subscribes a URL and shows its signing secret once', async () => {
    const { root, calls, click } = await render('owner');
    const url = root.querySelector<HTMLInputElement>('#webhook-url')!;
    url.value = 'https://hooks.acme.test/new';
    url.dispatchEvent(new Event('input'));
    await click('Subscribe');
    expect(calls).toContainEqual([
      'create',
      { url: 'https://hooks.acme.test/new', topics: ['inference.events.v1'], description: '' },
    ]);
    expect(root.querySelector('[aria-label="Signing secret"]')?.textContent).toBe('whsec_shown_once');
    await click('Done');
    expect(root.textContent).not.toContain('whsec_shown_once');
  });

  it('asks for a topic before subscribing', async () => {
    const { root, calls, click } = await render('admin');
    const url = root.querySelector<HTMLInputElement>('#webhook-url')!;
    url.value = 'https://hooks.acme.test/new';
    url.dispatchEvent(new Event('input'));
    root.querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
    await click('Subscribe');
    expect(calls).toEqual([]);
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('at least one topic');
  });

  it('replays a dead letter after a confirmation and says so', async () => {
    const { root, calls, click } = await render('owner');
    expect(root.textContent).toContain('HTTP 503');
    await click('Replay');
    expect(calls).toEqual([]);
    await click('Confirm replay');
    expect(calls).toEqual([['replay', 'd1']]);
    expect(root.textContent).toContain('is pending again');
    expect(root.textContent).toContain('No dead letter');
  });

  it('shows a subscription’s deliveries', async () => {
    const { root, calls, click } = await render('auditor');
    await click('Deliveries');
    expect(calls).toEqual([['deliveries', 'w1']]);
    expect(root.querySelector('table[aria-label], caption')).not.toBeNull();
    expect(root.textContent).toContain('Deliveries of https://hooks.acme.test/in');
    expect(root.textContent).toContain('delivered');
  });

  it('offers an auditor nothing that changes anything', async () => {
    const { root } = await render('auditor');
    const labels = [...root.querySelectorAll('button')].map((b) => b.textContent?.trim());
    expect(labels).toEqual(['Deliveries', 'Refresh']);
    expect(root.querySelector('#webhook-url')).toBeNull();
    expect(root.textContent).toContain('HTTP 503'); // the dead letters are read, not replayed
  });
});
