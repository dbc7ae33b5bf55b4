import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { ArtifactStore } from './artifact-store';
import { ARTIFACT_JOB_TYPES, quotaReachedMessage } from './artifact-limits';

export interface StorageUsageView {
  usedBytes: number;
  limitBytes: number;
  artifacts: number;
}

/**
 * What users keep on disk, from the record: each user's counter row (user_storage: the bytes and number of
 * their DONE jobs' kept artifacts, changed by the statements that keep and purge them, see JobStore), against
 * USER_STORAGE_QUOTA_MB. A user with no row keeps nothing.
 */
@Injectable()
export class StorageUsage {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly artifacts: ArtifactStore,
  ) {}

  /** One user's kept artifacts, or everyone's (`null`); `limitBytes` is the per-user quota either way. */
  async of(userId: string | null): Promise<StorageUsageView> {
    const [row] = await this.db.query<{ used: number; artifacts: number }[]>(
      userId
        ? `SELECT used_bytes::float8 AS used, artifacts FROM user_storage WHERE user_id = $1`
        : `SELECT COALESCE(sum(used_bytes), 0)::float8 AS used, COALESCE(sum(artifacts), 0)::int AS artifacts
             FROM user_storage`,
      userId ? [userId] : [],
    );
    return {
      usedBytes: row?.used ?? 0,
      limitBytes: this.artifacts.quotaBytes,
      artifacts: row?.artifacts ?? 0,
    };
  }

  /**
   * A submission of file-keeping types while the user's kept artifacts already fill the quota: 403
   * STORAGE_QUOTA_EXCEEDED with the numbers (nothing could be kept). Below it the submission goes ahead; an
   * artifact that would not fit is refused when its job finishes (JobStore.succeed).
   */
  async assertRoomFor(userId: string, types: string[]): Promise<void> {
    const keeping = [...new Set(types.filter((type) => ARTIFACT_JOB_TYPES.has(type)))].sort();
    if (keeping.length === 0) return;
    const usage = await this.of(userId);
    if (usage.usedBytes >= usage.limitBytes)
      throw new AppError(
        'STORAGE_QUOTA_EXCEEDED',
        quotaReachedMessage(keeping, usage.usedBytes, usage.limitBytes, usage.artifacts),
      );
  }
}
