import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A company's own calendar (issue 18): Cal.com with its own key and team, or Samedi; credentials sealed
 * (CALENDAR_SECRETS_KEY), the webhook subscription made on its account, and health (last success, last error).
 * No row: the platform's Cal.com account.
 */
export class CalendarConnections1734400000000 implements MigrationInterface {
  name = 'CalendarConnections1734400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE calendar_connection (
      company_id VARCHAR(64) NOT NULL PRIMARY KEY,
      provider VARCHAR(20) NOT NULL,
      credentials_sealed TEXT NOT NULL,
      team_slug VARCHAR(100) NULL,
      account_ref VARCHAR(200) NULL,
      webhook_id VARCHAR(100) NULL,
      webhook_status VARCHAR(20) NOT NULL DEFAULT 'none',
      last_success_at DATETIME(3) NULL,
      last_error_at DATETIME(3) NULL,
      last_error VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL
    ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE calendar_connection`);
  }
}
