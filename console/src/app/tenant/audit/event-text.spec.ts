import { describeEvent } from './event-text';

describe('describeEvent', () => {
  it('says what a call asked for and how it ended, with its guard findings', () => {
    const event = {
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o-mini',
      outcome: { status_code: 400 },
      guard: [{ action: 'blocked' }, { action: 'allowed' }],
    };
    expect(describeEvent({ kind: 'data_plane', event })).toBe(
      '/v1/chat/completions gpt-4o-mini → 400 (1 guard finding)',
    );
    expect(describeEvent({ kind: 'data_plane', event: { endpoint: '/v1/models', outcome: {} } })).toBe(
      '/v1/models → ?',
    );
  });

  it('says who changed what', () => {
    const event = { actor: 'user:u1', action: 'create', object_type: 'api_key', object_id: 'k1' };
    expect(describeEvent({ kind: 'control_plane', event })).toBe('user:u1 create api_key k1');
  });
});
