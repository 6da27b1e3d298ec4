/** The structured form's view of a policy document: per detector, each direction's action and threshold. */

export const ACTIONS = ['off', 'flag', 'redact', 'block'] as const;
export type ActionName = (typeof ACTIONS)[number];
export const DIRECTIONS = ['input', 'output'] as const;
export type DirectionName = (typeof DIRECTIONS)[number];

/** What the form edits of one detector's direction; the rest of the document is kept as it is. */
export interface DirectionSettings {
  action: ActionName;
  threshold: number | null;
}

export interface DetectorSettings {
  name: string;
  input: DirectionSettings;
  output: DirectionSettings;
}

type Json = Record<string, unknown>;

function object(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

/** The detectors of `document` (sorted by name), with each direction's action and threshold. */
export function detectorSettings(document: Json): DetectorSettings[] {
  const detectors = object(document['detectors']);
  return Object.keys(detectors)
    .sort()
    .map((name) => {
      const detector = object(detectors[name]);
      const direction = (which: DirectionName): DirectionSettings => {
        const rule = object(detector[which]);
        const action = ACTIONS.find((a) => a === rule['action']) ?? 'off';
        const threshold = typeof rule['threshold'] === 'number' ? rule['threshold'] : null;
        return { action, threshold };
      };
      return { name, input: direction('input'), output: direction('output') };
    });
}

/**
 * `document` with the form's `settings` written into it: each direction's action, and its threshold
 * (removed when empty: the detector's default). Everything else (sources, types, modes) is kept.
 */
export function withSettings(document: Json, settings: readonly DetectorSettings[]): Json {
  const detectors = { ...object(document['detectors']) };
  for (const { name, input, output } of settings) {
    const detector: Json = { ...object(detectors[name]) };
    for (const [which, values] of [
      ['input', input],
      ['output', output],
    ] as const) {
      const rule: Json = { ...object(detector[which]), action: values.action };
      // A number input gives null when empty; anything else (even out of range) is the server's to judge.
      if (values.threshold === null || Number.isNaN(values.threshold)) {
        delete rule['threshold'];
      } else {
        rule['threshold'] = values.threshold;
      }
      detector[which] = rule;
    }
    detectors[name] = detector;
  }
  return { ...document, detectors };
}

/** One direction's rule in words: `block · threshold 0.5 · tool_output: off · types: email off`. */
export function describeDirection(rule: unknown): string {
  const r = object(rule);
  const parts = [String(r['action'] ?? 'off')];
  if (typeof r['threshold'] === 'number') {
    parts.push(`threshold ${r['threshold']}`);
  }
  if (typeof r['block_threshold'] === 'number') {
    parts.push(`block at ${r['block_threshold']}`);
  }
  if (typeof r['fail_mode'] === 'string') {
    parts.push(`fails ${r['fail_mode']}`);
  }
  const types = describeTypes(r['types']);
  if (types) {
    parts.push(`types: ${types}`);
  }
  const sources = object(r['sources']);
  for (const source of Object.keys(sources).sort()) {
    const s = object(sources[source]);
    const words = [s['action'] ?? ''];
    if (typeof s['threshold'] === 'number') {
      words.push(`threshold ${s['threshold']}`);
    }
    const sourceTypes = describeTypes(s['types']);
    if (sourceTypes) {
      words.push(`types: ${sourceTypes}`);
    }
    parts.push(`${source}: ${words.filter((w) => w !== '').join(', ')}`);
  }
  return parts.join(' · ');
}

function describeTypes(types: unknown): string {
  const t = object(types);
  return Object.keys(t)
    .sort()
    .map((name) => {
      const o = object(t[name]);
      const action = o['action'] ?? '';
      const threshold = typeof o['threshold'] === 'number' ? ` ≥ ${o['threshold']}` : '';
      return `${name} ${action}${threshold}`.trim();
    })
    .join(', ');
}
