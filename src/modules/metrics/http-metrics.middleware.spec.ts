import { routeLabel, UNMATCHED_ROUTE } from './http-metrics.middleware';

describe(routeLabel.name, () => {
  it('labels a request with the pattern of the route it matched, under its router mount', () => {
    expect(routeLabel({ baseUrl: '', route: { path: '/api/jobs/:id' } })).toBe('/api/jobs/:id');
    expect(routeLabel({ baseUrl: '/admin', route: { path: '/queues' } })).toBe('/admin/queues');
  });

  it('labels a request that matched no route, or only the middleware itself, as unmatched', () => {
    const own = { path: '{/*splat}' };
    expect(routeLabel({ baseUrl: '' })).toBe(UNMATCHED_ROUTE);
    expect(routeLabel({ baseUrl: '', route: own }, own)).toBe(UNMATCHED_ROUTE);
    expect(routeLabel({ baseUrl: '', route: { path: /regex/ } })).toBe(UNMATCHED_ROUTE);
  });
});
