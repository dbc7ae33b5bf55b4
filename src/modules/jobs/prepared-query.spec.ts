import { fake } from '@app/testing/fake';
import { DatabaseError } from 'pg';
import { type DataSource, QueryFailedError } from 'typeorm';
import { preparedQuery } from './prepared-query';

describe(preparedQuery.name, () => {
  const query = jest.fn();
  const db = fake<DataSource>({ driver: { master: { query } } });

  beforeEach(() => query.mockReset().mockResolvedValue({ rows: [{ id: 'j1' }] }));

  it('runs the text as a named statement, one stable name per text', async () => {
    expect(await preparedQuery(db, 'SELECT $1::int', [1])).toEqual([{ id: 'j1' }]);
    await preparedQuery(db, 'SELECT $1::int', [2]);
    await preparedQuery(db, 'SELECT $1::text', ['x']);
    const [first, second, other] = query.mock.calls.map(([config]) => config as { name: string });
    expect(first).toMatchObject({
      text: 'SELECT $1::int',
      values: [1],
      name: expect.stringMatching(/^conveyor_/),
    });
    expect(second.name).toBe(first.name);
    expect(other.name).not.toBe(first.name);
  });

  it("turns PostgreSQL's errors into TypeORM's QueryFailedError, with the driver error kept", async () => {
    const unique = Object.assign(new DatabaseError('duplicate key value', 0, 'error'), { code: '23505' });
    query.mockRejectedValueOnce(unique);
    const error = (await preparedQuery(db, 'INSERT', []).catch((e: unknown) => e)) as QueryFailedError;
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error.driverError).toBe(unique);
  });

  it('passes other errors (a refused connection) through as they are', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    query.mockRejectedValueOnce(refused);
    await expect(preparedQuery(db, 'SELECT 1', [])).rejects.toBe(refused);
  });
});
