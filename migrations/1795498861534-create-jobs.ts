import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateJobs1795498861534 implements MigrationInterface {
  name = 'CreateJobs1795498861534';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "jobs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "type" character varying(64) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'PENDING', "priority" character varying(8) NOT NULL DEFAULT 'normal', "payload" json NOT NULL, "result" json, "error" text, "progress" smallint NOT NULL DEFAULT '0', "attempts" integer NOT NULL DEFAULT '0', "max_retries" integer NOT NULL, "timeout_ms" integer NOT NULL, "webhook_url" character varying(2048), "idempotency_key" character varying(255), "request_hash" character(64), "run_at" TIMESTAMP WITH TIME ZONE, "next_retry_at" TIMESTAMP WITH TIME ZONE, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "artifact_path" character varying(512), "artifact_content_type" character varying(128), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_cf0a6c42b72fcc7f7c237def345" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_jobs_user_idempotency_key" ON "jobs"  ("user_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_jobs_status_updated" ON "jobs"  ("status", "updated_at") `);
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_user_type_created" ON "jobs"  ("user_id", "type", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_user_status_created" ON "jobs"  ("user_id", "status", "created_at") `,
    );
    await queryRunner.query(`CREATE INDEX "IDX_jobs_user_created" ON "jobs"  ("user_id", "created_at") `);
    await queryRunner.query(
      `CREATE TABLE "job_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "job_id" uuid NOT NULL, "level" character varying(8) NOT NULL DEFAULT 'info', "message" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_58193ed7a13b6627e99dc1c0985" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_job_logs_job_seq" ON "job_logs"  ("job_id", "seq") `);
    await queryRunner.query(
      `ALTER TABLE "jobs" ADD CONSTRAINT "FK_9027c8f0ba75fbc1ac46647d043" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "job_logs" ADD CONSTRAINT "FK_47e0da4454890b505f36dbcbde0" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job_logs" DROP CONSTRAINT "FK_47e0da4454890b505f36dbcbde0"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP CONSTRAINT "FK_9027c8f0ba75fbc1ac46647d043"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_job_logs_job_seq"`);
    await queryRunner.query(`DROP TABLE "job_logs"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_user_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_user_status_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_user_type_created"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_status_updated"`);
    await queryRunner.query(`DROP INDEX "public"."UQ_jobs_user_idempotency_key"`);
    await queryRunner.query(`DROP TABLE "jobs"`);
  }
}
