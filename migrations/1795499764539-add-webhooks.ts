import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddWebhooks1795499764539 implements MigrationInterface {
  name = 'AddWebhooks1795499764539';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "delivery_id" uuid NOT NULL, "job_id" uuid NOT NULL, "url" character varying(2048) NOT NULL, "event" character varying(32) NOT NULL, "payload" json NOT NULL, "status_code" integer, "success" boolean NOT NULL, "attempt" integer NOT NULL, "error" text, "duration_ms" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_webhook_deliveries_job_created" ON "webhook_deliveries"  ("job_id", "created_at") `,
    );
    await queryRunner.query(`ALTER TABLE "jobs" ADD "webhook_pending" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_webhook_pending" ON "jobs"  ("finished_at") WHERE "webhook_pending"`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_webhook_pending"`);
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "webhook_pending"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_webhook_deliveries_job_created"`);
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
  }
}
