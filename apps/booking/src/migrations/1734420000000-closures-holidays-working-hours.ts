import { MigrationInterface, QueryRunner } from 'typeorm';

/** Closed days and the public-holiday region of a company, and each staff member's working hours (issue 16). */
export class ClosuresHolidaysWorkingHours1734420000000 implements MigrationInterface {
  name = 'ClosuresHolidaysWorkingHours1734420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE booking_company ADD COLUMN closures TEXT NULL, ADD COLUMN holiday_region VARCHAR(10) NULL');
    await q.query('ALTER TABLE staff ADD COLUMN working_hours TEXT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE staff DROP COLUMN working_hours');
    await q.query('ALTER TABLE booking_company DROP COLUMN closures, DROP COLUMN holiday_region');
  }
}
