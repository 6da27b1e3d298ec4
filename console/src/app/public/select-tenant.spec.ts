import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { computed, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { of } from 'rxjs';

import { AuthApi, TenantChoice } from '../core/auth-api';
import { Profile } from '../core/profile';
import { SelectTenant } from './select-tenant';

async function render(admin: boolean, tenants: TenantChoice[]): Promise<HTMLElement> {
  const platformAdmin = signal(admin);
  TestBed.configureTestingModule({
    providers: [
      provideRouter([]),
      provideHttpClient(),
      provideHttpClientTesting(),
      { provide: AuthApi, useValue: { tenants: () => of(tenants) } },
      {
        provide: Profile,
        useValue: { platformAdmin: computed(() => platformAdmin()), lookUp: async () => null },
      },
    ],
  });
  const fixture = TestBed.createComponent(SelectTenant);
  await fixture.whenStable();
  fixture.detectChanges();
  return fixture.nativeElement as HTMLElement;
}

function links(root: HTMLElement): string[] {
  return [...root.querySelectorAll('a')].map((a) => a.textContent?.trim() ?? '');
}

describe('SelectTenant', () => {
  const acme: TenantChoice = { id: 't1', slug: 'acme', name: 'Acme Corp', role: 'owner' };

  it('offers platform admins the admin area, with or without tenants of their own', async () => {
    let root = await render(true, []);
    expect(links(root)).toEqual(['Platform admin: tenants, users, provider health']);
    expect(root.textContent).toContain('As a platform admin, create tenants');
    TestBed.resetTestingModule();
    root = await render(true, [acme]);
    expect(links(root)).toEqual(['Platform admin: tenants, users, provider health']);
    expect(root.textContent).toContain('Acme Corp');
  });

  it('offers it to nobody else', async () => {
    const root = await render(false, []);
    expect(links(root)).toEqual([]);
    expect(root.textContent).toContain('Ask an owner or admin of your organisation');
  });
});
