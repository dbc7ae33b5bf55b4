import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createTestApp, TestApp } from '@app/testing/create-test-app';
import { exportOpenApiDocument, serializeOpenApiDocument } from '../../src/openapi/export-openapi';

const ROOT = join(__dirname, '..', '..');
const COMMITTED_DOCUMENT = join(ROOT, 'libs/sdk/openapi.json');
const COMMITTED_SDK = join(ROOT, 'libs/sdk/src');
const HINT = 'The API changed: run `npm run sdk:generate` and commit libs/sdk.';

/**
 * The committed SDK is what the app documents now: libs/sdk/openapi.json is byte for byte the document the
 * running app serves (and the one the no-server export produces), and generating the SDK from it again
 * (the same `npm run sdk:codegen` as `npm run sdk:generate`) reproduces libs/sdk/src exactly.
 */
describe('Generated SDK drift (e2e)', () => {
  let t: TestApp;
  let served: string;
  let scratch: string;

  beforeAll(async () => {
    t = await createTestApp();
    served = serializeOpenApiDocument(
      (await t.http().get('/api/docs-json').expect(200)).body as OpenAPIObject,
    );
    scratch = mkdtempSync(join(tmpdir(), 'conveyor-sdk-drift-'));
  });
  afterAll(async () => {
    await t?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('libs/sdk/openapi.json is the document the app serves', () => {
    expectSame(readFileSync(COMMITTED_DOCUMENT, 'utf8'), served, 'libs/sdk/openapi.json');
  });

  it('the export without a server (no connections) produces the same document', async () => {
    expectSame(serializeOpenApiDocument(await exportOpenApiDocument()), served, 'the exported document');
  });

  it('regenerating the SDK from the served document reproduces libs/sdk/src', async () => {
    const input = join(scratch, 'openapi.json');
    const output = join(scratch, 'src');
    writeFileSync(input, served);
    await promisify(execFile)('npm', ['run', '--silent', 'sdk:codegen'], {
      cwd: ROOT,
      env: { ...process.env, SDK_INPUT: input, SDK_OUTPUT: output },
      timeout: 60_000,
    });
    const generated = readTree(output);
    const committed = readTree(COMMITTED_SDK);
    expect(Object.keys(generated).length).toBeGreaterThan(0);
    const problems = [
      ...Object.keys(committed)
        .filter((file) => !(file in generated))
        .map((file) => `${file}: committed, but no longer generated`),
      ...Object.keys(generated)
        .filter((file) => !(file in committed))
        .map((file) => `${file}: generated, but not committed`),
      ...Object.keys(generated)
        .filter((file) => file in committed && committed[file] !== generated[file])
        .map((file) => `${file}: ${firstDifference(committed[file], generated[file])}`),
    ];
    if (problems.length > 0) throw new Error(`libs/sdk/src differs:\n  ${problems.join('\n  ')}\n${HINT}`);
  });
});

/** Every file under `dir`, by relative path. */
function readTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path)] = readFileSync(path, 'utf8');
  }
  return files;
}

function expectSame(actual: string, expected: string, what: string) {
  if (actual !== expected) {
    throw new Error(
      `${what} differs from the served document: ${firstDifference(actual, expected)}\n${HINT}`,
    );
  }
}

function firstDifference(committed: string, current: string): string {
  const a = committed.split('\n');
  const b = current.split('\n');
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `first difference at line ${at + 1}: committed ${JSON.stringify(a[at] ?? '<end>')}, now ${JSON.stringify(b[at] ?? '<end>')}`;
}
