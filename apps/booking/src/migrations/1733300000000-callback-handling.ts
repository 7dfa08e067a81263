import { MigrationInterface, QueryRunner } from 'typeorm';

/** Callback requests handled from the admin API (issue 5): who handled one, when, with which note. */
export class CallbackHandling1733300000000 implements MigrationInterface {
  name = 'CallbackHandling1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE callback_request
      ADD COLUMN note VARCHAR(1000) NULL,
      ADD COLUMN handled_by VARCHAR(200) NULL,
      ADD COLUMN handled_at DATETIME(3) NULL,
      ADD COLUMN updated_at DATETIME(3) NULL,
      ADD KEY ix_callback_request_created (company_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE callback_request DROP KEY ix_callback_request_created, DROP COLUMN updated_at, DROP COLUMN handled_at, DROP COLUMN handled_by, DROP COLUMN note`);
  }
}
