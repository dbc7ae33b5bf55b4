import { MigrationInterface, QueryRunner } from 'typeorm';

/** Fair sharing: a user's weight (share of starts) and own concurrency cap (null: USER_MAX_CONCURRENCY). */
export class AddUserLimits1796400000000 implements MigrationInterface {
  name = 'AddUserLimits1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "weight" integer NOT NULL DEFAULT '1'`);
    await queryRunner.query(`ALTER TABLE "users" ADD "max_concurrency" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "max_concurrency"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "weight"`);
  }
}
