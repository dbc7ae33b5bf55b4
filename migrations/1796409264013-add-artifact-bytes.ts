import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each kept artifact's size, set with DONE: a user's kept artifacts are summed against USER_STORAGE_QUOTA_MB
 * (the partial index serves that sum). Jobs finished before it count nothing until retention removes them.
 */
export class AddArtifactBytes1796409264013 implements MigrationInterface {
  name = 'AddArtifactBytes1796409264013';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "artifact_bytes" bigint`);
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_user_artifact_bytes" ON "jobs"  ("user_id", "artifact_bytes") WHERE "artifact_bytes" IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_user_artifact_bytes"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "artifact_bytes"`);
  }
}
