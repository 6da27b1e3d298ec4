import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { OutboxApi, OutboxPage } from './outbox-api';
import { Outbox } from './outbox';

async function render(page: OutboxPage): Promise<HTMLElement> {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: OutboxApi, useValue: { recent: () => of(page) } },
    ],
  });
  const fixture = TestBed.createComponent(Outbox);
  await fixture.whenStable();
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

describe('Outbox', () => {
  it('shows each mail with its links clickable', async () => {
    const root = await render({
      enabled: true,
      data: [
        {
          id: 'm1',
          to: 'olga@acme.test',
          subject: 'You are invited to Acme Corp',
          text: 'Accept it here: http://tp.test/accept-invitation?token=t0k3n\n',
          html: '<p>ignored</p>',
          created_at: '2026-12-07T10:00:00Z',
        },
      ],
    });
    expect(root.textContent).toContain('You are invited to Acme Corp');
    expect(root.textContent).toContain('To olga@acme.test');
    const link = root.querySelector('a');
    expect(link?.getAttribute('href')).toBe('http://tp.test/accept-invitation?token=t0k3n');
    expect(link?.textContent?.trim()).toBe('http://tp.test/accept-invitation?token=t0k3n');
    expect(root.innerHTML).not.toContain('ignored'); // the HTML part is never rendered
  });

  it('says why it is empty when mail is sent rather than kept', async () => {
    const root = await render({ enabled: false, data: [] });
    expect(root.textContent).toContain('Mail is sent, not kept');
  });

  it('says what fills an empty outbox', async () => {
    const root = await render({ enabled: true, data: [] });
    expect(root.textContent).toContain('No mail yet');
  });
});
