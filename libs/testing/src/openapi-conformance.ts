/**
 * Checks real responses against an OpenAPI 3.0 document, strictly: the status and the media type must be
 * documented for the operation, and a JSON body must match the documented schema with no undeclared properties (an object schema
 * without `additionalProperties` is closed). Covers the subset that @nestjs/swagger emits: $ref, allOf, oneOf,
 * type, nullable, enum, properties, required, additionalProperties, items, minimum/maximum, formats
 * date-time, date and uuid.
 */
export interface OpenApiSchema {
  $ref?: string;
  allOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  additionalProperties?: boolean | OpenApiSchema;
  items?: OpenApiSchema;
  minimum?: number;
  maximum?: number;
  format?: string;
}

interface OpenApiResponse {
  content?: Record<string, { schema?: OpenApiSchema }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Violations of one response: `method` and `pathTemplate` as in the document (`/api/jobs/{id}`). */
export function responseViolations(
  doc: OpenApiDocument,
  method: string,
  pathTemplate: string,
  status: number,
  contentType: string | null,
  body: unknown,
): string[] {
  const where = `${method.toUpperCase()} ${pathTemplate} ${status}`;
  const operation = doc.paths[pathTemplate]?.[method.toLowerCase()];
  if (!operation) return [`${where}: operation not documented`];
  const response = operation.responses[String(status)];
  if (!response) return [`${where}: status not documented`];
  const media = contentType?.split(';')[0].trim().toLowerCase();
  if (!media) return [];
  const documented = response.content?.[media];
  if (!documented) {
    return [
      `${where}: ${media} not documented (${Object.keys(response.content ?? {}).join(', ') || 'none'})`,
    ];
  }
  if (media !== 'application/json') return [];
  if (!documented.schema) return [`${where}: JSON body, but no JSON schema documented`];
  return schemaViolations(doc, documented.schema, body, '$').map((v) => `${where}: ${v}`);
}

export function schemaViolations(
  doc: OpenApiDocument,
  schema: OpenApiSchema,
  value: unknown,
  at: string,
): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components.schemas[name];
    return target ? schemaViolations(doc, target, value, at) : [`${at}: unknown $ref ${schema.$ref}`];
  }
  if (value === null) return schema.nullable ? [] : [`${at}: null, but not nullable`];
  if (schema.allOf) {
    // @nestjs/swagger wraps a $ref with siblings (description, nullable) in allOf.
    return schema.allOf.flatMap((part) => schemaViolations(doc, part, value, at));
  }
  if (schema.oneOf) {
    const matching = schema.oneOf.filter((part) => schemaViolations(doc, part, value, at).length === 0);
    return matching.length === 1 ? [] : [`${at}: matches ${matching.length} of oneOf, expected 1`];
  }
  const violations: string[] = [];
  if (schema.enum && !schema.enum.some((allowed) => allowed === value)) {
    violations.push(`${at}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [...violations, `${at}: expected string, got ${typeOf(value)}`];
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) violations.push(`${at}: not a date-time`);
      if (schema.format === 'date' && !DATE.test(value)) violations.push(`${at}: not a date`);
      if (schema.format === 'uuid' && !UUID.test(value)) violations.push(`${at}: not a uuid`);
      return violations;
    case 'number':
    case 'integer':
      if (typeof value !== 'number') return [...violations, `${at}: expected number, got ${typeOf(value)}`];
      if (schema.type === 'integer' && !Number.isInteger(value)) violations.push(`${at}: not an integer`);
      if (schema.minimum !== undefined && value < schema.minimum) violations.push(`${at}: below minimum`);
      if (schema.maximum !== undefined && value > schema.maximum) violations.push(`${at}: above maximum`);
      return violations;
    case 'boolean':
      return typeof value === 'boolean'
        ? violations
        : [...violations, `${at}: expected boolean, got ${typeOf(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [...violations, `${at}: expected array, got ${typeOf(value)}`];
      return schema.items
        ? [
            ...violations,
            ...value.flatMap((item, i) => schemaViolations(doc, schema.items!, item, `${at}[${i}]`)),
          ]
        : violations;
    case 'object':
    case undefined: {
      if (schema.type === undefined && !schema.properties) return violations; // any value
      if (typeof value !== 'object' || Array.isArray(value))
        return [...violations, `${at}: expected object, got ${typeOf(value)}`];
      const record = value as Record<string, unknown>;
      const properties = schema.properties ?? {};
      for (const key of schema.required ?? []) {
        if (!(key in record)) violations.push(`${at}.${key}: required, but missing`);
      }
      for (const [key, item] of Object.entries(record)) {
        if (properties[key]) {
          violations.push(...schemaViolations(doc, properties[key], item, `${at}.${key}`));
        } else if (typeof schema.additionalProperties === 'object') {
          violations.push(...schemaViolations(doc, schema.additionalProperties, item, `${at}.${key}`));
        } else if (schema.additionalProperties !== true && schema.properties) {
          violations.push(`${at}.${key}: not documented`);
        }
      }
      return violations;
    }
  }
}

function typeOf(value: unknown) {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}
