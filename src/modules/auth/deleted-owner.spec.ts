import { QueryFailedError } from 'typeorm';
import { deletedOwnerError } from './deleted-owner';

const violation = (code: string, detail: string) =>
  new QueryFailedError(
    'INSERT INTO webhook_secrets …',
    ['whsec_secret'],
    Object.assign(new Error('fk'), { code, detail }),
  );

describe(deletedOwnerError.name, () => {
  it('turns a foreign-key violation on a missing user into a 401', () => {
    const error = deletedOwnerError(
      violation(
        '23503',
        'Key (user_id)=(3f1c7a52-0000-4000-8000-000000000000) is not present in table "users".',
      ),
    );
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(error?.message).not.toContain('whsec_');
  });

  it("reads node-postgres' own error too (prepared statements throw it unwrapped)", () => {
    const raw = Object.assign(new Error('fk'), {
      code: '23503',
      detail: 'Key (user_id)=(3f1c7a52-0000-4000-8000-000000000000) is not present in table "users".',
    });
    expect(deletedOwnerError(raw)).toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it.each([
    ['another table', violation('23503', 'Key (job_id)=(x) is not present in table "jobs".')],
    ['another error code', violation('23505', 'Key (user_id)=(x) is not present in table "users".')],
    ['a plain error', new Error('boom')],
    ['null', null],
  ])('leaves %s alone', (_label, error) => {
    expect(deletedOwnerError(error)).toBeUndefined();
  });
});
