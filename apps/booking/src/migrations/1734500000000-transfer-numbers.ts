import { MigrationInterface, QueryRunner } from 'typeorm';

/** Hand-off to a person (issue 20): the numbers a caller is put through to, with their staffed hours, per company and branch. */
export class TransferNumbers1734500000000 implements MigrationInterface {
  name = 'TransferNumbers1734500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE booking_company ADD COLUMN transfer_numbers TEXT NULL`);
    await q.query(`ALTER TABLE branch_hours ADD COLUMN transfer_numbers TEXT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE branch_hours DROP COLUMN transfer_numbers`);
    await q.query(`ALTER TABLE booking_company DROP COLUMN transfer_numbers`);
  }
}
