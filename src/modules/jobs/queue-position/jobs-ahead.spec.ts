import { jobsAheadFairly, jobsAheadInArrivalOrder, type PendingGroup } from './jobs-ahead';

const group = (
  tenant: string,
  priority: PendingGroup['priority'],
  count: number,
  extra: Partial<PendingGroup> = {},
) => ({ tenant, weight: 1, priority, before: true, count, ...extra }) satisfies PendingGroup;

describe('jobs ahead', () => {
  describe(jobsAheadInArrivalOrder.name, () => {
    it('counts every better class and the earlier ones of the same class, whoever owns them', () => {
      const groups = [
        group('a', 'high', 3, { before: false }),
        group('b', 'normal', 5),
        group('b', 'normal', 7, { before: false }),
        group('a', 'low', 9),
      ];
      expect(jobsAheadInArrivalOrder(groups, 'normal')).toBe(8);
      expect(jobsAheadInArrivalOrder(groups, 'high')).toBe(0);
    });
  });

  describe(jobsAheadFairly.name, () => {
    const me = { tenant: 'me', priority: 'normal' as const, weight: 1 };

    it("puts a newcomer's first job after one job of each other tenant, whatever their backlogs", () => {
      // Its tag ties with the next of each backlog, queued before it.
      expect(jobsAheadFairly([group('a', 'normal', 2000)], me)).toBe(1);
      expect(jobsAheadFairly([group('a', 'normal', 2000), group('c', 'normal', 50)], me)).toBe(2);
      expect(jobsAheadFairly([], me)).toBe(0);
    });

    it('alternates: the k-th job of a tenant waits for k-1 of its own and about k-1 of each other backlog', () => {
      const groups = [group('me', 'normal', 9), group('a', 'normal', 2000), group('c', 'normal', 4)];
      // 9 own, 10 of a's, and c's 4 (all it has).
      expect(jobsAheadFairly(groups, me)).toBe(9 + 10 + 4);
    });

    it('keeps strict class order within the tenant: later own jobs of a worse class are not ahead', () => {
      const groups = [group('me', 'low', 50), group('me', 'normal', 2, { before: false })];
      expect(jobsAheadFairly(groups, { ...me, priority: 'high' })).toBe(0);
      expect(jobsAheadFairly([group('me', 'high', 3, { before: false })], me)).toBe(3);
    });

    it('weighs classes across tenants: a high job of another tenant costs half a normal turn', () => {
      // My 4th normal job: stretch 8. Another tenant's high jobs cost 1 each: 8 of them go before it.
      expect(jobsAheadFairly([group('me', 'normal', 3), group('a', 'high', 100)], me)).toBe(3 + 8);
      // Their normal jobs wait behind their high ones.
      expect(
        jobsAheadFairly([group('me', 'normal', 3), group('a', 'high', 2), group('a', 'normal', 100)], me),
      ).toBe(3 + 2 + 3);
    });

    it('lets a tie go first only when it entered the queue first', () => {
      // My first high job and another tenant's first high job have the same tag.
      const high = { ...me, priority: 'high' as const };
      expect(jobsAheadFairly([group('a', 'high', 1, { before: false })], high)).toBe(0);
      expect(jobsAheadFairly([group('a', 'high', 1)], high)).toBe(1);
      // My second: theirs (tag 1) is strictly ahead of it (tag 2), whenever it came.
      expect(jobsAheadFairly([group('me', 'high', 1), group('a', 'high', 1, { before: false })], high)).toBe(
        2,
      );
    });

    it('gives a tenant of weight 2 twice the starts over the same stretch', () => {
      const groups = [group('me', 'normal', 4), group('a', 'normal', 100, { weight: 2 })];
      expect(jobsAheadFairly(groups, me)).toBe(4 + 10);
    });
  });
});
