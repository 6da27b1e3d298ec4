import type { Flag, FlagRule } from './settings-api';

/** `eu-west-1, westeurope` → `['eu-west-1', 'westeurope']`; blank → null (not pinned). */
export function parseRegions(text: string): string[] | null {
  const regions = text
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  return regions.length > 0 ? [...new Set(regions)] : null;
}

/** A setting's value as typed: JSON when it parses (`42`, `true`, `{"a": 1}`), else the text itself. */
export function parseSettingValue(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}

export function showValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeRule(rule: FlagRule): string {
  if (!rule.enabled) {
    return 'off';
  }
  const share = rule.percent ?? 100;
  const keys = rule.keys?.length ?? 0;
  const base = share >= 100 ? 'on for every key' : share <= 0 ? 'off' : `on for ${share} % of keys`;
  return keys > 0 && share < 100 ? `${base}, and always for ${keys} key${keys === 1 ? '' : 's'}` : base;
}

/** What a flag does for this tenant, and whose rule says so. */
export function flagState(flag: Flag, tenantId: string | null): { text: string; source: string } {
  if (flag.tenant) {
    return { text: describeRule(flag.tenant), source: "the tenant's rule" };
  }
  const installation = flag.installation;
  if (installation.enabled && tenantId !== null && installation.tenants?.includes(tenantId)) {
    return { text: 'on for every key', source: "the installation's rule (this tenant listed)" };
  }
  return { text: describeRule(installation), source: "the installation's rule" };
}
