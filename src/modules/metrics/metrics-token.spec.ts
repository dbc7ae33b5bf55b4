import { metricsAccessAllowed } from './metrics-token';

describe(metricsAccessAllowed.name, () => {
  it('lets every scrape in when no token is configured', () => {
    expect(metricsAccessAllowed(undefined, undefined)).toBe(true);
    expect(metricsAccessAllowed('Bearer anything', '')).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another token', 'Bearer s3cret-but-not'],
    ['a prefix of the token', 'Bearer s3cret'],
    ['the token without the scheme', 's3cret-token'],
    ['another scheme', 'Basic s3cret-token'],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s when a token is configured', (_, header) => {
    expect(metricsAccessAllowed(header, 's3cret-token')).toBe(false);
  });

  it('accepts the configured bearer token, whatever the case of the scheme', () => {
    expect(metricsAccessAllowed('Bearer s3cret-token', 's3cret-token')).toBe(true);
    expect(metricsAccessAllowed('bearer s3cret-token', 's3cret-token')).toBe(true);
  });
});
