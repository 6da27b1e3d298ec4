import { describeDirection, detectorSettings, withSettings } from './policy-form';

const DOCUMENT = {
  version: 2,
  shadow: false,
  detectors: {
    secrets: { input: { action: 'block' }, output: { action: 'redact' } },
    pii: {
      fail_mode: 'closed',
      input: {
        action: 'redact',
        threshold: 0.5,
        types: { email: { action: 'off' } },
        sources: { tool_output: { action: 'flag' } },
      },
    },
  },
};

describe('detectorSettings', () => {
  it('reads each detector’s actions and thresholds, sorted by name, off where unset', () => {
    expect(detectorSettings(DOCUMENT)).toEqual([
      {
        name: 'pii',
        input: { action: 'redact', threshold: 0.5 },
        output: { action: 'off', threshold: null },
      },
      {
        name: 'secrets',
        input: { action: 'block', threshold: null },
        output: { action: 'redact', threshold: null },
      },
    ]);
  });
});

describe('withSettings', () => {
  it('writes the form’s values and keeps what the form does not show', () => {
    const settings = detectorSettings(DOCUMENT);
    settings[0].input = { action: 'block', threshold: null };
    settings[0].output = { action: 'flag', threshold: 2 };
    const changed = withSettings(DOCUMENT, settings) as typeof DOCUMENT;
    const pii = changed.detectors.pii as unknown as Record<string, unknown>;
    expect(pii['input']).toEqual({
      action: 'block',
      types: { email: { action: 'off' } },
      sources: { tool_output: { action: 'flag' } },
    });
    expect(pii['output']).toEqual({ action: 'flag', threshold: 2 });
    expect(pii['fail_mode']).toBe('closed');
    expect(DOCUMENT.detectors.pii.input.action).toBe('redact'); // the original is untouched
  });
});

describe('describeDirection', () => {
  it('says the action, threshold, type overrides and per-source rules', () => {
    expect(describeDirection(DOCUMENT.detectors.pii.input)).toBe(
      'redact · threshold 0.5 · types: email off · tool_output: flag',
    );
    expect(describeDirection(undefined)).toBe('off');
  });
});
