import { requestHash } from './request-hash';

describe('requestHash', () => {
  it('ignores key order, also in nested objects', () => {
    expect(requestHash({ a: 1, b: { c: 2, d: [1, { e: 3, f: 4 }] } })).toBe(
      requestHash({ b: { d: [1, { f: 4, e: 3 }], c: 2 }, a: 1 }),
    );
  });

  it('keeps array order', () => {
    expect(requestHash({ a: [1, 2] })).not.toBe(requestHash({ a: [2, 1] }));
  });

  it('tells different bodies apart', () => {
    const body = { type: 'sleep', payload: { delayMs: 1 } };
    expect(requestHash(body)).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash(body)).not.toBe(requestHash({ ...body, payload: { delayMs: 2 } }));
    expect(requestHash(body)).not.toBe(requestHash({ ...body, priority: 'high' }));
    expect(requestHash({ a: null })).not.toBe(requestHash({}));
  });
});
