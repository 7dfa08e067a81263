import type { CallbackReasonName } from '@receptionist/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DraftStatus = 'collecting' | 'booked' | 'callback';

/** What the caller has said so far about the appointment they want, one row per call. */
@Entity('call_draft')
export class CallDraftEntity {
  @PrimaryColumn({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @PrimaryColumn({ name: 'call_id', type: 'varchar', length: 128 })
  callId: string;

  @Column({ name: 'customer_name', type: 'varchar', length: 200, nullable: true })
  customerName: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ name: 'service_id', type: 'varchar', length: 64, nullable: true })
  serviceId: string | null;

  @Column({ name: 'staff_id', type: 'varchar', length: 64, nullable: true })
  staffId: string | null;

  /** Local date (YYYY-MM-DD) and time (HH:MM) in the company's zone, kept apart until both are known. */
  @Column({ name: 'wish_date', type: 'varchar', length: 10, nullable: true })
  wishDate: string | null;

  @Column({ name: 'wish_time', type: 'char', length: 5, nullable: true })
  wishTime: string | null;

  @Column({ name: 'start_at', type: 'datetime', precision: 3, nullable: true })
  startAt: Date | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  notes: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: DraftStatus;

  @Column({ name: 'appointment_id', type: 'varchar', length: 64, nullable: true })
  appointmentId: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A caller's wish to be called back, kept until booking has taken it (booking may be down when it is made). */
@Entity('callback_wish')
export class CallbackWishEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'call_id', type: 'varchar', length: 128, nullable: true })
  callId: string | null;

  @Column({ name: 'customer_name', type: 'varchar', length: 200, nullable: true })
  customerName: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 1000 })
  wish: string;

  @Column({ type: 'varchar', length: 32 })
  reason: CallbackReasonName;

  @Column({ type: 'int' })
  attempts: number;

  @Column({ name: 'claimed_until', type: 'datetime', precision: 3, nullable: true })
  claimedUntil: Date | null;

  @Column({ name: 'delivered_at', type: 'datetime', precision: 3, nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
