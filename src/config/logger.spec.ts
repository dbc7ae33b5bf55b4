import { QueryFailedError } from 'typeorm';
import { serializeError } from './logger';

describe(serializeError.name, () => {
  it("drops a failed query's parameters and blanks secret-looking strings", () => {
    const secret = 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=';
    const driverError = Object.assign(new Error(`insert failed near ${secret}`), {
      parameters: [secret, '{"rows":[{"name":"payload-content"}]}'],
      detail: 'Key (user_id)=(u1) is not present in table "users".',
    });
    const error = new QueryFailedError(
      'INSERT INTO webhook_secrets VALUES ($1, $2)',
      driverError.parameters,
      driverError,
    );
    const text = JSON.stringify(serializeError(error));
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain('payload-content');
    expect(text).toContain('is not present in table');
    expect(JSON.stringify(serializeError(new Error('key ck_abc-DEF_123 eyJa.eyJb.sig')))).not.toMatch(
      /ck_|eyJ/,
    );
  });
});
