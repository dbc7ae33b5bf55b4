import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { AppError } from '@app/common/errors/app-error';
import { testConfig } from '@app/testing/job-context';
import { ArtifactTooLargeError } from './artifact-limits';
import { ArtifactStore } from './artifact-store';

describe(ArtifactStore.name, () => {
  let root: string;
  let store: ArtifactStore;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'artifact-store-'));
    store = new ArtifactStore(testConfig({ ARTIFACTS_DIR: root, ARTIFACT_MAX_BYTES: '2048' }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes under <jobId>/<filename> and reads it back', async () => {
    const saved = await store.write('job-1', 'report.pdf', Buffer.from('%PDF-data'));
    expect(saved).toEqual({ path: 'job-1/report.pdf', bytes: 9 });
    expect(readFileSync(join(root, 'job-1', 'report.pdf'), 'utf8')).toBe('%PDF-data');
    expect(await text(await store.open(saved.path))).toBe('%PDF-data');
  });

  it('keeps a file of exactly ARTIFACT_MAX_BYTES, and refuses one byte more before writing anything', async () => {
    expect((await store.write('job-1', 'a.bin', Buffer.alloc(2048))).bytes).toBe(2048);
    const error: unknown = await store.write('job-2', 'a.bin', Buffer.alloc(2049)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactTooLargeError);
    expect((error as Error).message).toBe(
      'The artifact is 0 MB (2049 bytes), over the 0 MB (2048 bytes) limit (ARTIFACT_MAX_BYTES); nothing was kept',
    );
    expect(readdirSync(root)).toEqual(['job-1']);
  });

  it('leaves no temporary file behind when the write fails', async () => {
    // The target name is a directory that is not empty: the rename fails after the data was written aside.
    mkdirSync(join(root, 'job-1', 'taken', 'inside'), { recursive: true });
    writeFileSync(join(root, 'job-1', 'taken', 'inside', 'f'), 'x');
    await expect(store.write('job-1', 'taken', Buffer.from('data'))).rejects.toThrow();
    expect(readdirSync(join(root, 'job-1'))).toEqual(['taken']);
  });

  it('replaces the file of an earlier attempt', async () => {
    await store.write('job-1', 'export.csv', Buffer.from('old,longer'));
    await store.write('job-1', 'export.csv', Buffer.from('new'));
    expect(await text(await store.open('job-1/export.csv'))).toBe('new');
  });

  it.each(['../evil', 'a/b', 'a\\b', '..', '.hidden', '', 'x'.repeat(201)])(
    'refuses the filename %j',
    async (name) => {
      await expect(store.write('job-1', name, Buffer.from('x'))).rejects.toThrow('Unsafe filename');
    },
  );

  it('refuses an unsafe job id', async () => {
    await expect(store.write('../job', 'a.txt', Buffer.from('x'))).rejects.toThrow('Unsafe job id');
    await expect(store.remove('..')).rejects.toThrow('Unsafe job id');
  });

  it.each(['../outside.txt', '/etc/passwd', 'job-1/../../outside', '.', ''])(
    'refuses to open %j, outside ARTIFACTS_DIR',
    async (path) => {
      await expect(store.open(path)).rejects.toThrow('escapes ARTIFACTS_DIR');
    },
  );

  it('answers NOT_FOUND for a missing file', async () => {
    const error: unknown = await store.open('job-1/missing.pdf').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('NOT_FOUND');
  });

  it('removes every file of a job, and tolerates nothing to remove', async () => {
    await store.write('job-1', 'a.txt', Buffer.from('a'));
    await store.write('job-2', 'b.txt', Buffer.from('b'));
    await store.remove('job-1');
    await store.remove('job-3');
    await expect(store.open('job-1/a.txt')).rejects.toBeInstanceOf(AppError);
    expect(await text(await store.open('job-2/b.txt'))).toBe('b');
  });
});
