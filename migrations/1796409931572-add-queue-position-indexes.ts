import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For a PENDING job's place in line (GET /api/jobs/:id `queue`): PENDING jobs by priority class, then by when
 * they entered the queue (QueueCounts' READY_AT), and the latest attempt starts for the start rate.
 */
export class AddQueuePositionIndexes1796409931572 implements MigrationInterface {
  name = 'AddQueuePositionIndexes1796409931572';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_jobs_pending_queue_order" ON "jobs" ("priority", (COALESCE("next_retry_at", GREATEST("run_at", "created_at"))), "id") WHERE "status" = 'PENDING'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_jobs_started_at" ON "jobs" ("started_at") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_started_at"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_jobs_pending_queue_order"`);
  }
}
