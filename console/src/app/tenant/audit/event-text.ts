import type { AuditEvent } from './audit-api';

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/**
 * One line about an event: what was called and how it ended (data plane), or who did what to what
 * (control plane).
 */
export function describeEvent(event: Pick<AuditEvent, 'kind' | 'event'>): string {
  const doc = event.event;
  if (event.kind === 'data_plane') {
    const outcome = (doc['outcome'] ?? {}) as Record<string, unknown>;
    const guard = Array.isArray(doc['guard']) ? (doc['guard'] as { action?: unknown }[]) : [];
    const acted = guard.filter((g) => g.action !== 'allowed').length;
    const parts = [text(doc['endpoint']), text(doc['model']), `→ ${text(outcome['status_code']) || '?'}`];
    if (acted > 0) {
      parts.push(`(${acted} guard finding${acted === 1 ? '' : 's'})`);
    }
    return parts.filter((p) => p).join(' ');
  }
  return [text(doc['actor']), text(doc['action']), text(doc['object_type']), text(doc['object_id'])]
    .filter((p) => p)
    .join(' ');
}
