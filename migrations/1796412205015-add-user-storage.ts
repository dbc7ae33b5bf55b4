import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each user's kept artifacts as one counter row (bytes and files), kept exact by the statements that keep and
 * purge them (JobStore), so the quota check reads one row instead of summing the user's files; filled here from
 * the recorded sizes. The per-user index that served those sums goes.
 */
export class AddUserStorage1796412205015 implements MigrationInterface {
  name = 'AddUserStorage1796412205015';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "user_storage" ("user_id" uuid NOT NULL, "used_bytes" bigint NOT NULL DEFAULT '0', "artifacts" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_user_storage" PRIMARY KEY ("user_id"), CONSTRAINT "FK_user_storage_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO "user_storage" ("user_id", "used_bytes", "artifacts")
       SELECT "user_id", sum("artifact_bytes"), count(*) FROM "jobs" WHERE "artifact_bytes" IS NOT NULL GROUP BY "user_id"`,
    );
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_user_artifact_bytes"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_user_artifact_bytes" ON "jobs"  ("user_id", "artifact_bytes") WHERE "artifact_bytes" IS NOT NULL`,
    );
    await queryRunner.query(`DROP TABLE "user_storage"`);
  }
}
