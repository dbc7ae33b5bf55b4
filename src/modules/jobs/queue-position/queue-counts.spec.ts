import { RECENT_STARTS_CAP, RECENT_STARTS_WINDOW_SECONDS, recentStarts } from './queue-counts';

describe(recentStarts.name, () => {
  const now = new Date('2026-12-04T09:00:00.000Z');

  it('spreads fewer starts than the cap over the whole window', () => {
    const oldest = new Date('2026-12-04T08:59:59.000Z');
    expect(recentStarts({ starts: 12, oldest_start: oldest, now })).toEqual({
      count: 12,
      seconds: RECENT_STARTS_WINDOW_SECONDS,
    });
    expect(recentStarts({ starts: 0, oldest_start: null, now }).count).toBe(0);
  });

  it('measures a full cap of starts over the time they took', () => {
    const oldest = new Date('2026-12-04T08:59:58.500Z');
    expect(recentStarts({ starts: RECENT_STARTS_CAP, oldest_start: oldest, now })).toEqual({
      count: RECENT_STARTS_CAP,
      seconds: 1.5,
    });
  });
});
