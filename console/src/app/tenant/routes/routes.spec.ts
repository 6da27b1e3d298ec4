import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { of, throwError } from 'rxjs';

import { Role } from '../../core/permissions';
import { Session } from '../../core/session';
import { Route, RouteIn, RoutesApi } from './routes-api';
import { Routes } from './routes';

const ROUTE: Route = {
  id: 'r1',
  alias: 'chat',
  targets: [{ provider: 'openai-prod', model: 'gpt-4o' }],
  fallback: null,
  cache_ttl_s: null,
  regions: null,
  created_at: '2026-12-07T10:00:00Z',
  updated_at: '2026-12-07T10:00:00Z',
};

async function render(role: Role, create: (route: RouteIn) => unknown = () => of(ROUTE)) {
  const sent: RouteIn[] = [];
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      {
        provide: RoutesApi,
        useValue: {
          list: () => of({ data: [ROUTE], next_cursor: null }),
          create: (route: RouteIn) => {
            sent.push(route);
            return create(route);
          },
        },
      },
    ],
  });
  TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role });
  const fixture = TestBed.createComponent(Routes);
  await fixture.whenStable();
  fixture.detectChanges();
  return { fixture, root: fixture.nativeElement as HTMLElement, sent };
}

function buttons(root: HTMLElement): string[] {
  return [...root.querySelectorAll('button')].map((b) => b.textContent?.trim() ?? '');
}

function type(root: HTMLElement, id: string, value: string): void {
  const input = root.querySelector<HTMLInputElement>(`#${id}`)!;
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

describe('Routes', () => {
  it('shows an auditor the routes and no control', async () => {
    const { root } = await render('auditor');
    expect(root.textContent).toContain('openai-prod/gpt-4o');
    expect(buttons(root)).toEqual([]);
    expect(root.querySelector('form')).toBeNull();
  });

  it('sends the form as a route and puts the server’s refusal on the targets', async () => {
    const refusal = new HttpErrorResponse({
      status: 400,
      error: { error: { code: 'unknown_provider', message: 'unknown provider nowhere' } },
    });
    const { fixture, root, sent } = await render('owner', () => throwError(() => refusal));
    type(root, 'route-alias', 'chat-eu');
    type(root, 'target-provider-0', 'nowhere');
    type(root, 'target-model-0', 'gpt-4o');
    root.querySelector<HTMLFormElement>('form')!.dispatchEvent(new Event('submit'));
    await fixture.whenStable();
    fixture.detectChanges();
    expect(sent).toEqual([
      {
        alias: 'chat-eu',
        targets: [{ provider: 'nowhere', model: 'gpt-4o' }],
        cache_ttl_s: null,
        regions: null,
        fallback: null,
      },
    ]);
    const fieldset = root.querySelector('fieldset')!;
    const described = root.querySelector(`#${fieldset.getAttribute('aria-describedby')}`);
    expect(described?.textContent?.trim()).toBe('unknown provider nowhere');
    expect(buttons(root)).toContain('Edit');
  });
});
