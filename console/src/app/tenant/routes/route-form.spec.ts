import { describeTargets, draftOf, emptyDraft, routeFields, routeIn } from './route-form';
import type { Route } from './routes-api';

const route: Route = {
  id: 'r1',
  alias: 'chat',
  targets: [
    { provider: 'openai-prod', model: 'gpt-4o' },
    { provider: 'azure-eu', model: 'gpt-4o' },
  ],
  fallback: { message: 'Try again later', provider: null, model: null },
  cache_ttl_s: 60,
  regions: ['eu-west-1', 'westeurope'],
  created_at: '2026-12-07T10:00:00Z',
  updated_at: '2026-12-07T10:00:00Z',
};

describe('route form', () => {
  it('round-trips a route through the draft', () => {
    expect(routeIn(draftOf(route))).toEqual({
      alias: 'chat',
      targets: route.targets,
      cache_ttl_s: 60,
      regions: ['eu-west-1', 'westeurope'],
      fallback: { message: 'Try again later' },
    });
  });

  it('sends empty optional fields as null, trims, and splits regions on commas and spaces', () => {
    const draft = { ...emptyDraft(), alias: ' support ', regions: 'eu-west-1,  eu-central-1 ' };
    draft.targets = [{ provider: ' oa ', model: 'gpt-4o-mini ' }];
    expect(routeIn(draft)).toEqual({
      alias: 'support',
      targets: [{ provider: 'oa', model: 'gpt-4o-mini' }],
      cache_ttl_s: null,
      regions: ['eu-west-1', 'eu-central-1'],
      fallback: null,
    });
  });

  it('leaves a cache time that is not a number for the server to name', () => {
    expect(routeIn({ ...emptyDraft(), cacheTtlS: 'soon' }).cache_ttl_s).toBe('soon');
    expect(routeIn({ ...emptyDraft(), cacheTtlS: '2.5' }).cache_ttl_s).toBe(2.5);
  });

  it('names each target’s fields', () => {
    expect(routeFields(2)).toContain('targets.1.model');
    expect(routeFields(1)).not.toContain('targets.1.model');
  });

  it('describes the targets in order', () => {
    expect(describeTargets(route)).toBe('openai-prod/gpt-4o → azure-eu/gpt-4o');
  });
});
