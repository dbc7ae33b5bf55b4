import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppModule } from '../app.module';
import { buildOpenApiDocument } from '../http-app';

/**
 * The OpenAPI document as committed in libs/sdk/openapi.json: the maps whose order only reflects the order in
 * which modules and decorators happen to be registered (paths, component maps, response codes) sorted by key,
 * two-space JSON with a final newline. Schema properties keep their declared order (it is the order of the
 * generated types' fields). The document itself has no timestamps.
 */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  const doc = JSON.parse(JSON.stringify(document)) as OpenAPIObject;
  doc.paths = sortKeys(doc.paths);
  for (const item of Object.values(doc.paths)) {
    for (const operation of Object.values(item as Record<string, { responses?: Record<string, unknown> }>)) {
      if (operation && typeof operation === 'object' && operation.responses) {
        operation.responses = sortKeys(operation.responses);
      }
    }
  }
  if (doc.components) {
    const components = doc.components as Record<string, Record<string, unknown>>;
    for (const key of Object.keys(components)) components[key] = sortKeys(components[key]);
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function sortKeys<T extends object>(map: T): T {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/**
 * Builds the document from AppModule without a server and without connections: `preview` mode scans the
 * module graph (controllers, routes, decorators) but instantiates no provider, so neither PostgreSQL nor
 * Redis is contacted.
 */
export async function exportOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(), { preview: true, logger: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** `node dist/src/openapi/export-openapi.js [out]` (default libs/sdk/openapi.json): what `npm run sdk:generate` runs. */
async function main() {
  // A fixed environment, not .env: the document must not depend on a developer's configuration.
  Object.assign(process.env, { NODE_ENV: 'development', PROCESS_ROLE: 'api', LOG_LEVEL: 'silent' });
  const out = resolve(process.argv[2] ?? 'libs/sdk/openapi.json');
  const document = await exportOpenApiDocument();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, serializeOpenApiDocument(document));
  process.stdout.write(`OpenAPI document written to ${out} (${Object.keys(document.paths).length} paths)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `export-openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}
