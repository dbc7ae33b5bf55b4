import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A job's webhook deliveries go with it: retention used to delete them after the jobs, from an in-memory
 * event, so a crash in between left rows nothing swept. Those orphans are removed first.
 */
export class WebhookDeliveriesCascade1796310547493 implements MigrationInterface {
  name = 'WebhookDeliveriesCascade1796310547493';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM "webhook_deliveries" d WHERE NOT EXISTS (SELECT 1 FROM "jobs" j WHERE j."id" = d."job_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_d129b321489e6c6bd4df228d20a" FOREIGN KEY ("job_id") REFERENCES "jobs"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "FK_d129b321489e6c6bd4df228d20a"`,
    );
  }
}
