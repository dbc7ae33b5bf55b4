import { escapeLike, jobFilterWhere } from './job-filter';

describe(jobFilterWhere.name, () => {
  it('matches everything without a filter', () => {
    expect(jobFilterWhere({})).toEqual({ where: 'TRUE', params: {} });
  });

  it('ANDs every filter given, dates as Dates, q as an escaped ILIKE pattern', () => {
    const { where, params } = jobFilterWhere({
      userId: 'u1',
      status: 'FAILED',
      type: 'sleep',
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-31T23:59:59.999Z',
      q: 'Timed Out',
    });
    expect(where).toBe(
      'job.userId = :userId AND job.status = :status AND job.type = :type AND job.createdAt >= :from ' +
        "AND job.createdAt <= :to AND job.error ILIKE :q ESCAPE '\\'",
    );
    expect(params).toEqual({
      userId: 'u1',
      status: 'FAILED',
      type: 'sleep',
      from: new Date('2026-01-01T00:00:00.000Z'),
      to: new Date('2026-01-31T23:59:59.999Z'),
      q: '%Timed Out%',
    });
  });

  it('ignores empty strings', () => {
    expect(jobFilterWhere({ q: '', type: '' }).where).toBe('TRUE');
  });
});

describe(escapeLike.name, () => {
  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_done\\x')).toBe('100\\%\\_done\\\\x');
    expect(escapeLike('plain text')).toBe('plain text');
  });
});
