import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Call acceptance gets a second, independent reason: an unpaid plan (billing's `plan.suspended` / `plan.reinstated`)
 * with the company's own refusal message. Kept apart from the balance's state so that a top-up never lifts a
 * refusal for an unpaid plan, nor a paid plan one for an exhausted balance; each has its own event time.
 */
export class PlanAcceptance1734300000000 implements MigrationInterface {
  name = 'PlanAcceptance1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE call_acceptance
      ADD COLUMN plan_refusing TINYINT(1) NOT NULL DEFAULT 0,
      ADD COLUMN plan_message VARCHAR(500) NULL,
      ADD COLUMN plan_event_time DATETIME(3) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE call_acceptance DROP COLUMN plan_event_time, DROP COLUMN plan_message, DROP COLUMN plan_refusing');
  }
}
