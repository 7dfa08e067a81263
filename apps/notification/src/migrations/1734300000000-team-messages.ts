import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * One-time links sent to team members (invitations, password resets), one row per event: where it went and how it
 * ended. The text is not kept: it holds the link's secret.
 */
export class NotificationTeamMessages1734300000000 implements MigrationInterface {
  name = 'NotificationTeamMessages1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_team_message (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NULL,
      kind VARCHAR(24) NOT NULL,
      subject_id CHAR(36) NOT NULL,
      channel VARCHAR(8) NOT NULL,
      recipient VARCHAR(254) NOT NULL,
      status VARCHAR(16) NOT NULL,
      provider_id VARCHAR(255) NULL,
      error_code VARCHAR(32) NULL,
      error_message VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_notification_team_message_company (company_id, created_at)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_team_message');
  }
}
