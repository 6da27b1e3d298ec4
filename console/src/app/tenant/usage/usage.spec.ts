import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { of } from 'rxjs';

import { Session } from '../../core/session';
import { KeysApi } from '../keys/keys-api';
import { Usage } from './usage';
import { UsageApi, UsageFilter, UsageRecord } from './usage-api';

function record(id: string): UsageRecord {
  return {
    id,
    created_at: '2026-12-07T10:00:00Z',
    key_id: 'k1',
    endpoint: '/v1/chat/completions',
    alias: 'gpt-4o-mini',
    provider: 'oa',
    upstream_model: 'gpt-4o-mini',
    stream: false,
    status_code: 200,
    error_class: null,
    attempts: 1,
    fallback: false,
    served_from: null,
    latency_ms: 33,
    ttft_ms: null,
    prompt_tokens: 5,
    completion_tokens: 6,
    cached_tokens: 0,
    cost_usd: '0.00000435',
    pricing_version: null,
  };
}

describe('Usage', () => {
  it('pages the records with the API’s cursors and starts again when the filters change', async () => {
    const asked: { filter: UsageFilter; cursor?: string }[] = [];
    const pages: Record<string, { data: UsageRecord[]; next_cursor: string | null }> = {
      first: { data: [record('r1')], next_cursor: 'c2' },
      c2: { data: [record('r2')], next_cursor: null },
    };
    const empty = { since: '', until: '', rows: [], granularity: 'hour', by: 'model' };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: KeysApi, useValue: { list: () => of({ data: [], next_cursor: null }) } },
        {
          provide: UsageApi,
          useValue: {
            timeseries: () => of({ ...empty, buckets_ms: [], points: [] }),
            breakdown: () => of(empty),
            records: (filter: UsageFilter, _limit: number, cursor?: string) => {
              asked.push({ filter, cursor });
              return of(pages[cursor ?? 'first']);
            },
          },
        },
      ],
    });
    TestBed.inject(Session).tenant.set({ id: 't1', slug: 'acme', name: 'Acme Corp', role: 'auditor' });
    const fixture = TestBed.createComponent(Usage);
    const root = fixture.nativeElement as HTMLElement;
    const button = (name: string) =>
      [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;
    const settle = async () => {
      await fixture.whenStable();
      fixture.detectChanges();
    };
    await settle();
    expect(root.textContent).toContain('Page 1');
    expect(button('Previous page').disabled).toBe(true);

    button('Next page').click();
    await settle();
    expect(asked.at(-1)?.cursor).toBe('c2');
    expect(root.textContent).toContain('Page 2');
    expect(button('Next page').disabled).toBe(true);

    const status = root.querySelector<HTMLSelectElement>('#usage-status')!;
    status.value = 'error';
    status.dispatchEvent(new Event('change'));
    button('Apply filters').click();
    await settle();
    expect(asked.at(-1)).toMatchObject({ cursor: undefined, filter: { status: 'error' } });
    expect(root.textContent).toContain('Page 1');
  });
});
