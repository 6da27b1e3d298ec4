import type { TenantUsage } from './usage-api';

/** One tenant's line of the table, with its share of the installation's requests and cost. */
export interface UsageLine {
  tenant: TenantUsage;
  tokens: number;
  requestShare: string;
  costShare: string;
}

function share(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : '—';
}

/** The table's lines, in the server's order (costliest first). */
export function usageLines(tenants: readonly TenantUsage[]): UsageLine[] {
  const requests = tenants.reduce((sum, tenant) => sum + tenant.requests, 0);
  const cost = tenants.reduce((sum, tenant) => sum + Number(tenant.cost_usd), 0);
  return tenants.map((tenant) => ({
    tenant,
    tokens: tenant.prompt_tokens + tenant.completion_tokens,
    requestShare: share(tenant.requests, requests),
    costShare: share(Number(tenant.cost_usd), cost),
  }));
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

export function count(value: number): string {
  return integer.format(value);
}

/** US dollars from the API's decimal string: cents above a dollar, tenths of a cent below. */
export function usd(amount: string | number): string {
  const value = Number(amount);
  return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}
