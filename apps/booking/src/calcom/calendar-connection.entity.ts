import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A company's own calendar account (migration 1734400000000). */
@Entity('calendar_connection')
export class CalendarConnectionEntity {
  @PrimaryColumn({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ type: 'varchar', length: 20 })
  provider: 'calcom';

  /** SecretBox-sealed JSON of the provider's credentials. */
  @Column({ name: 'credentials_sealed', type: 'text' })
  credentialsSealed: string;

  @Column({ name: 'team_slug', type: 'varchar', length: 100, nullable: true })
  teamSlug: string | null;

  /** Samedi practice id (Cal.com: unused). */
  @Column({ name: 'account_ref', type: 'varchar', length: 200, nullable: true })
  accountRef: string | null;

  @Column({ name: 'webhook_id', type: 'varchar', length: 100, nullable: true })
  webhookId: string | null;

  /** none | active | not_configured | failed */
  @Column({ name: 'webhook_status', type: 'varchar', length: 20 })
  webhookStatus: string;

  @Column({ name: 'last_success_at', type: 'datetime', precision: 3, nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_error_at', type: 'datetime', precision: 3, nullable: true })
  lastErrorAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
