import SwaggerParser from '@apidevtools/swagger-parser';
import { createTestApp, TestApp } from '@app/testing/create-test-app';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { content?: Record<string, { schema: Schema }> }>; security?: object[] }
    >
  >;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, object> };
};
type Schema = { $ref?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[] };

describe('OpenAPI document (e2e)', () => {
  let t: TestApp;
  let doc: Doc;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http().get('/api/docs-json').expect(200)).body as Doc;
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('serves Swagger UI', async () => {
    const res = await t.http().get('/api/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('serves Swagger UI under a CSP that lets it load over plain HTTP, and only it', async () => {
    const page = await t.http().get('/api/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // Its scripts and styles, resolved as a browser would against http://…/api/docs.
    const assets = [...page.text.matchAll(/<(?:script src|link [^>]*href)="([^"]+)"/g)].map(
      (m) => new URL(m[1], `${t.url}/api/docs`).pathname,
    );
    expect(assets).toEqual(
      expect.arrayContaining(['/api/docs/swagger-ui-init.js', '/api/docs/swagger-ui.css']),
    );
    for (const res of [page, ...(await Promise.all(assets.map((a) => t.http().get(a).expect(200))))]) {
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('upgrade-insecure-requests');
    }

    const api = await t.http().get('/health').expect(200);
    expect(api.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(api.headers['strict-transport-security']).toBeDefined();
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('declares the bearer and API-key security schemes', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
  });

  const authRoutes: [string, string, string, string | null][] = [
    ['post', '/api/auth/register', '201', 'RegisteredUserResponseDto'],
    ['post', '/api/auth/login', '200', 'TokenPairResponseDto'],
    ['post', '/api/auth/refresh', '200', 'TokenPairResponseDto'],
    ['post', '/api/auth/logout', '200', null],
    ['get', '/api/auth/me', '200', 'UserResponseDto'],
    ['post', '/api/auth/api-keys', '201', 'ApiKeyCreatedResponseDto'],
    ['get', '/api/auth/api-keys', '200', 'ApiKeyResponseDto'],
    ['delete', '/api/auth/api-keys/{id}', '200', null],
    ['get', '/api/auth/webhook-secret', '200', 'WebhookSecretResponseDto'],
    ['post', '/api/auth/webhook-secret/rotate', '200', 'WebhookSecretResponseDto'],
  ];

  it.each(authRoutes)('documents %s %s with its enveloped %s response', (method, path, status, model) => {
    const operation = doc.paths[path]?.[method];
    expect(operation).toBeDefined();
    const schema = operation.responses[status]?.content?.['application/json']?.schema;
    expect(schema?.required).toEqual(expect.arrayContaining(['success', 'message', 'data']));
    if (model) {
      const data = schema!.properties!.data;
      expect(data.$ref ?? data.items?.$ref).toBe(`#/components/schemas/${model}`);
      expect(doc.components.schemas[model].properties).toBeDefined();
    }
    const errors = Object.keys(operation.responses).filter((s) => s.startsWith('4') || s.startsWith('5'));
    expect(errors.length).toBeGreaterThan(0);
    for (const code of errors) {
      expect(operation.responses[code].content?.['application/json']?.schema.$ref).toMatch(
        /(Error|RateLimited)ResponseDto$/,
      );
    }
  });

  it('marks the protected auth routes as needing credentials, and only those', () => {
    const publicRoutes = ['/api/auth/register', '/api/auth/login', '/api/auth/refresh', '/api/auth/logout'];
    for (const [method, path] of authRoutes) {
      const security = doc.paths[path][method].security ?? [];
      if (publicRoutes.includes(path)) expect(security).toEqual([]);
      else expect(security).toEqual(expect.arrayContaining([{ bearer: [] }, { apiKey: [] }]));
    }
  });

  it('documents DELETE /api/admin/users/{id}: 204 without a body, its errors, admin credentials', () => {
    const operation = doc.paths['/api/admin/users/{id}']?.delete;
    expect(operation).toBeDefined();
    expect(operation.responses['204']).toBeDefined();
    expect(operation.responses['204'].content).toBeUndefined();
    expect(Object.keys(operation.responses).sort()).toEqual(['204', '400', '401', '403', '404', '503']);
    for (const code of ['400', '401', '403', '404', '503'])
      expect(operation.responses[code].content?.['application/json']?.schema.$ref).toMatch(
        /ErrorResponseDto$/,
      );
    expect(operation.security).toEqual(expect.arrayContaining([{ bearer: [] }, { apiKey: [] }]));
  });

  it('documents request bodies with their constraints', () => {
    const register = doc.components.schemas.RegisterUserDto as Schema & {
      properties: Record<string, object>;
    };
    expect(register.required).toEqual(expect.arrayContaining(['email', 'password']));
    expect(register.properties.password).toMatchObject({ minLength: 8, maxLength: 128 });
  });
});
