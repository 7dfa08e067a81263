import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A Cal.com create about to be sent, written (committed) before the request goes out and deleted in the transaction
 * that records its appointment. One still here after the grace period is a create whose outcome we never learnt (a
 * timeout, an unreadable answer, a crash between Cal.com's 201 and our commit): the orphan scan keeps the Cal.com
 * booking if an appointment holds it, and cancels it otherwise.
 */
@Entity('calcom_pending_create')
export class PendingCreateEntity {
  /** The appointment id sent to Cal.com as `metadata.appointmentId`. */
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey: string;

  @Column({ name: 'calcom_event_type_id', type: 'int' })
  calcomEventTypeId: number;

  @Column({ name: 'starts_at', type: 'datetime', precision: 3 })
  startsAt: Date;

  /** `pending` until recorded (row deleted); `cancelling` once the orphan scan decided it is nobody's. */
  @Column({ type: 'varchar', length: 20 })
  state: 'pending' | 'cancelling';

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
