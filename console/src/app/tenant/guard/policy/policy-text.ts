/** Pure helpers of the policy editor: problems named by the server, and a line diff of two versions. */

/** One problem of a refused policy: where (`detectors.pii.input.threshold`) and what. */
export interface Problem {
  location: string;
  message: string;
}

const PREFIX = 'invalid guard policy: ';

/**
 * The problems in an `invalid_policy` message (`invalid guard policy: loc: msg; loc: msg`), each
 * with its location; a message of another shape is one problem without a location.
 */
export function policyProblems(message: string): Problem[] {
  if (!message.startsWith(PREFIX)) {
    return [{ location: '', message }];
  }
  return message
    .slice(PREFIX.length)
    .split('; ')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const colon = part.indexOf(': ');
      return colon > 0 && !part.slice(0, colon).includes(' ')
        ? { location: part.slice(0, colon), message: part.slice(colon + 2) }
        : { location: '', message: part };
    });
}

export type DiffLine = { kind: 'same' | 'added' | 'removed' | 'skipped'; text: string };

/** The lines of `after` against `before`: kept, added and removed (a longest common subsequence). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] =
        a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      lines.push({ kind: 'same', text: a[i] });
      i++;
      j++;
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) {
      lines.push({ kind: 'removed', text: a[i++] });
    } else {
      lines.push({ kind: 'added', text: b[j++] });
    }
  }
  a.slice(i).forEach((text) => lines.push({ kind: 'removed', text }));
  b.slice(j).forEach((text) => lines.push({ kind: 'added', text }));
  return lines;
}

/**
 * `lines` with the unchanged runs far from any change folded into one `skipped` line
 * (`… 40 unchanged lines`), keeping `context` lines on each side of a change.
 */
export function folded(lines: DiffLine[], context = 3): DiffLine[] {
  const near = lines.map(() => false);
  lines.forEach((line, i) => {
    if (line.kind !== 'same') {
      for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) {
        near[j] = true;
      }
    }
  });
  const out: DiffLine[] = [];
  let skipped = 0;
  const flush = () => {
    if (skipped > 0) {
      out.push({ kind: 'skipped', text: `… ${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
      skipped = 0;
    }
  };
  lines.forEach((line, i) => {
    if (near[i]) {
      flush();
      out.push(line);
    } else {
      skipped++;
    }
  });
  flush();
  return out;
}

/** A policy as the diff and the JSON editor show it: pretty-printed, without its version number. */
export function pretty(policy: object): string {
  const { version: _version, ...rest } = policy as Record<string, unknown>;
  return JSON.stringify(rest, null, 2);
}
