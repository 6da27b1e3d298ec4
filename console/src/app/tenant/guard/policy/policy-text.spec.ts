import { folded, lineDiff, policyProblems, pretty } from './policy-text';

describe('policyProblems', () => {
  it('splits the server message into located problems', () => {
    const problems = policyProblems(
      "invalid guard policy: detectors.pii.input.threshold: Input should be less than or equal to 1; detectors.pii.output.action: Input should be 'block', 'redact', 'flag' or 'off'",
    );
    expect(problems).toEqual([
      { location: 'detectors.pii.input.threshold', message: 'Input should be less than or equal to 1' },
      {
        location: 'detectors.pii.output.action',
        message: "Input should be 'block', 'redact', 'flag' or 'off'",
      },
    ]);
  });

  it('keeps a message of another shape whole, without a location', () => {
    expect(policyProblems('the policy was changed by someone else')).toEqual([
      { location: '', message: 'the policy was changed by someone else' },
    ]);
  });
});

describe('lineDiff', () => {
  it('marks the lines removed and added, keeping the common ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });

  it('finds nothing to mark between equal texts', () => {
    expect(lineDiff('a\nb', 'a\nb').every((line) => line.kind === 'same')).toBe(true);
  });
});

describe('pretty', () => {
  it('leaves the version number out, so that two versions differ only where their rules do', () => {
    expect(pretty({ version: 3, shadow: false })).toBe('{\n  "shadow": false\n}');
  });
});

describe('folded', () => {
  it('folds the unchanged lines far from a change, keeping some context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].join('\n');
    const after = ['a', 'b', 'c', 'd', 'e', 'F', 'g'].join('\n');
    expect(folded(lineDiff(before, after), 1)).toEqual([
      { kind: 'skipped', text: '… 4 unchanged lines' },
      { kind: 'same', text: 'e' },
      { kind: 'removed', text: 'f' },
      { kind: 'added', text: 'F' },
      { kind: 'same', text: 'g' },
    ]);
  });

  it('folds everything when nothing changed', () => {
    expect(folded(lineDiff('a', 'a'))).toEqual([{ kind: 'skipped', text: '… 1 unchanged line' }]);
  });
});
