import { type OpenApiDocument, responseViolations } from './openapi-conformance';

describe('responseViolations', () => {
  const doc: OpenApiDocument = {
    paths: {
      '/things/{id}': {
        get: {
          responses: {
            '200': {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['data'],
                    properties: { data: { $ref: '#/components/schemas/Thing' } },
                  },
                },
              },
            },
            '404': { content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
    components: {
      schemas: {
        Kind: { type: 'string', enum: ['a', 'b'] },
        Thing: {
          type: 'object',
          required: ['id', 'count', 'kind', 'at'],
          properties: {
            id: { type: 'string', format: 'uuid' },
            count: { type: 'integer', minimum: 0 },
            kind: { $ref: '#/components/schemas/Kind' },
            at: { type: 'string', format: 'date-time', nullable: true },
            tags: { type: 'array', items: { type: 'string' } },
            extra: { type: 'object', additionalProperties: true },
          },
        },
      },
    },
  };
  const thing = {
    id: '6f1c2a7e-3f0e-4c1b-9d55-2b1f0e8c9a10',
    count: 2,
    kind: 'a',
    at: null,
    tags: ['x'],
    extra: { anything: [1] },
  };
  const check = (body: unknown, status = 200, type = 'application/json; charset=utf-8') =>
    responseViolations(doc, 'GET', '/things/{id}', status, type, body);

  it('accepts a body that matches', () => {
    expect(check({ data: thing })).toEqual([]);
    expect(check({ data: { ...thing, at: '2026-11-24T05:21:55.588Z' } })).toEqual([]);
  });

  it('names each mismatch by its path', () => {
    expect(
      check({ data: { ...thing, id: 'x', count: 1.5, kind: 'c', at: 'noon', tags: [1], surprise: true } }),
    ).toEqual([
      'GET /things/{id} 200: $.data.id: not a uuid',
      'GET /things/{id} 200: $.data.count: not an integer',
      'GET /things/{id} 200: $.data.kind: "c" not in enum ["a","b"]',
      'GET /things/{id} 200: $.data.at: not a date-time',
      'GET /things/{id} 200: $.data.tags[0]: expected string, got number',
      'GET /things/{id} 200: $.data.surprise: not documented',
    ]);
    const { count: _count, ...withoutCount } = thing;
    expect(check({ data: withoutCount })).toEqual([
      'GET /things/{id} 200: $.data.count: required, but missing',
    ]);
    expect(check({ data: { ...thing, count: null } })).toEqual([
      'GET /things/{id} 200: $.data.count: null, but not nullable',
    ]);
  });

  it('refuses undocumented statuses, media types and operations', () => {
    expect(check({}, 500)).toEqual(['GET /things/{id} 500: status not documented']);
    expect(check('x', 200, 'text/csv')).toEqual([
      'GET /things/{id} 200: text/csv not documented (application/json)',
    ]);
    expect(responseViolations(doc, 'DELETE', '/things/{id}', 200, null, undefined)).toEqual([
      'DELETE /things/{id} 200: operation not documented',
    ]);
  });
});
