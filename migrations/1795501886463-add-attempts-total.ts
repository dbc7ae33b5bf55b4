import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddAttemptsTotal1795501886463 implements MigrationInterface {
  name = 'AddAttemptsTotal1795501886463';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD "attempts_total" integer NOT NULL DEFAULT '0'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "attempts_total"`);
  }
}
