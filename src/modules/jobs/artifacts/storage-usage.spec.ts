import type { DataSource } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { fake } from '@app/testing/fake';
import { testConfig } from '@app/testing/job-context';
import { ArtifactStore } from './artifact-store';
import { StorageUsage } from './storage-usage';

describe(StorageUsage.name, () => {
  // PostgreSQL's answer from the users' counter rows (user_storage).
  const query = jest.fn();
  const sut = new StorageUsage(
    fake<DataSource>({ query }),
    new ArtifactStore(testConfig({ USER_STORAGE_QUOTA_MB: '2' })),
  );
  const refusal = (types: string[]) => sut.assertRoomFor('u1', types).catch((e: unknown) => e);

  beforeEach(() => query.mockReset());

  it("reads one user's counter row, or sums everyone's rows, against the per-user quota", async () => {
    query.mockResolvedValue([{ used: 1500, artifacts: 2 }]);
    await expect(sut.of('u1')).resolves.toEqual({ usedBytes: 1500, limitBytes: 2 * 1048576, artifacts: 2 });
    expect(query.mock.calls[0][0]).toContain('FROM user_storage WHERE user_id = $1');
    expect(query.mock.calls[0][0]).not.toContain('jobs');
    expect(query.mock.calls[0][1]).toEqual(['u1']);
    await sut.of(null);
    expect(query.mock.calls[1][0]).toContain('sum(used_bytes)');
    expect(query.mock.calls[1][0]).toContain('FROM user_storage');
    expect(query.mock.calls[1][0]).not.toContain('user_id');
  });

  it('counts nothing for a user without a counter row (never kept a file)', async () => {
    query.mockResolvedValue([]);
    await expect(sut.of('u1')).resolves.toEqual({ usedBytes: 0, limitBytes: 2 * 1048576, artifacts: 0 });
    await expect(sut.assertRoomFor('u1', ['csv-export'])).resolves.toBeUndefined();
  });

  it('refuses file-keeping types at the quota with 403 STORAGE_QUOTA_EXCEEDED and the numbers', async () => {
    query.mockResolvedValue([{ used: 2 * 1048576, artifacts: 7 }]);
    const error = await refusal(['sleep', 'resize-image', 'csv-export', 'csv-export']);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect((error as AppError).status).toBe(403);
    expect((error as AppError).message).toContain(
      'you use 2 of 2 MB (2097152 of 2097152 bytes) in 7 artifact(s), so csv-export, resize-image jobs',
    );
  });

  it('lets them through below the quota, and never asks for types that keep no file', async () => {
    query.mockResolvedValue([{ used: 2 * 1048576 - 1, artifacts: 7 }]);
    await expect(sut.assertRoomFor('u1', ['generate-report'])).resolves.toBeUndefined();
    query.mockClear();
    await expect(sut.assertRoomFor('u1', ['sleep', 'send-email'])).resolves.toBeUndefined();
    expect(query).not.toHaveBeenCalled();
  });
});
