import { credentialsFrom } from './credentials';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('credentialsFrom for the queue board (with basic)', () => {
  it.each([
    [{ 'x-api-key': 'ck_abc' }, { token: 'ck_abc' }],
    [{ 'x-api-key': 'eyJ.not.a.key' }, undefined],
    [{ authorization: 'Bearer eyJhbGc.x.y' }, { token: 'eyJhbGc.x.y' }],
    [{ authorization: 'bearer ck_abc' }, { token: 'ck_abc' }],
    [
      { authorization: basic(' Root@Example.COM ', 'pa:ss') },
      { email: 'root@example.com', password: 'pa:ss' },
    ],
    [{ authorization: basic('anyone', 'ck_abc') }, { token: 'ck_abc' }],
    [{ authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }, undefined],
    [{ authorization: basic('not-an-email', 'secret') }, undefined],
    [{ authorization: basic('a\u0000b@example.com', 'secret') }, undefined],
    [{ authorization: basic('ada@example.com', '') }, undefined],
    [{ authorization: basic('ada@example.com', 'x'.repeat(129)) }, undefined],
    [{ authorization: 'Digest abc' }, undefined],
    [{ authorization: 'Bearer' }, undefined],
    [{}, undefined],
  ] as [{ 'x-api-key'?: string; authorization?: string }, unknown][])('%j → %j', (headers, expected) => {
    expect(
      credentialsFrom(
        { apiKey: headers['x-api-key'], authorization: headers.authorization },
        { basic: true },
      ),
    ).toEqual(expected);
  });
});

describe('credentialsFrom for the API-key strategy (headers, no basic)', () => {
  it.each([
    [{ apiKey: 'ck_abc' }, { token: 'ck_abc' }],
    [{ apiKey: '', authorization: 'Bearer ck_abc' }, { token: 'ck_abc' }],
    [{ authorization: 'Bearer eyJhbGc.x.y' }, { token: 'eyJhbGc.x.y' }],
    [{ authorization: basic('anyone', 'ck_abc') }, undefined],
    [{ authorization: basic('ada@example.com', 'secret') }, undefined],
    [{ apiKey: 'not-a-key', authorization: 'Bearer ck_abc' }, undefined],
  ])('%j → %j', (sources, expected) => {
    expect(credentialsFrom(sources)).toEqual(expected);
  });
});

describe('credentialsFrom for a Socket.io handshake token', () => {
  it.each([
    ['eyJhbGc.x.y', { token: 'eyJhbGc.x.y' }],
    ['ck_abc', { token: 'ck_abc' }],
    ['Bearer ck_abc', { token: 'ck_abc' }],
    ['bearer   eyJhbGc.x.y', { token: 'eyJhbGc.x.y' }],
    ['Bearer ', undefined],
    ['', undefined],
    [42, undefined],
    [undefined, undefined],
  ])('%j → %j', (token, expected) => {
    expect(credentialsFrom({ token })).toEqual(expected);
  });
});
