import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AppointmentSource, AppointmentStatusName } from '@receptionist/contracts';

export type AppointmentStatus = AppointmentStatusName;
export type CancelledBy = 'customer' | 'business' | 'system';

@Entity('appointment')
export class AppointmentEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'service_id', type: 'char', length: 36 })
  serviceId: string;

  @Column({ name: 'staff_id', type: 'char', length: 36, nullable: true })
  staffId: string | null;

  @Column({ name: 'customer_id', type: 'char', length: 36 })
  customerId: string;

  @Column({ name: 'call_id', type: 'varchar', length: 128, nullable: true })
  callId: string | null;

  /** Copied from the service at booking time: the calendar the slot was taken in. */
  @Column({ name: 'calcom_event_type_id', type: 'int' })
  calcomEventTypeId: number;

  /** The current Cal.com booking (a reschedule creates a new uid in Cal.com; we keep our id). */
  @Column({ name: 'calcom_booking_uid', type: 'varchar', length: 100, nullable: true })
  calcomBookingUid: string | null;

  @Column({ name: 'starts_at', type: 'datetime', precision: 3 })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'datetime', precision: 3 })
  endsAt: Date;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  @Column({ type: 'varchar', length: 20 })
  status: AppointmentStatus;

  /** Where it was made (phone, portal, staff, calcom); the column defaults to phone for rows written before. */
  @Column({ type: 'varchar', length: 20, default: 'phone' })
  source?: AppointmentSource;

  /** The booking request's key: a retried request finds this row instead of booking again (unique per company). */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 200 })
  idempotencyKey: string;

  @Column({ name: 'rescheduled_count', type: 'int', default: 0 })
  rescheduledCount: number;

  /** 1 when booked, +1 with every reschedule or cancellation (in the same UPDATE); carried in booking.* events. */
  @Column({ type: 'int', default: 1 })
  version?: number;

  /** Several steps (appointment_step); this row spans them and its event type/uid are the first step's. */
  @Column({ type: 'boolean', default: false })
  composite?: boolean;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  notes: string | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt: Date | null;

  @Column({ name: 'cancellation_reason', type: 'varchar', length: 500, nullable: true })
  cancellationReason: string | null;

  @Column({ name: 'cancelled_by', type: 'varchar', length: 20, nullable: true })
  cancelledBy: CancelledBy | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** One reschedule or cancellation: the history, and the reschedule's idempotency key. */
@Entity('appointment_change')
export class AppointmentChangeEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'appointment_id', type: 'char', length: 36 })
  appointmentId: string;

  @Column({ type: 'varchar', length: 20 })
  kind: 'reschedule' | 'cancel' | 'completed' | 'no_show';

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'previous_starts_at', type: 'datetime', precision: 3 })
  previousStartsAt: Date;

  @Column({ name: 'new_starts_at', type: 'datetime', precision: 3, nullable: true })
  newStartsAt: Date | null;

  @Column({ name: 'previous_calcom_uid', type: 'varchar', length: 100, nullable: true })
  previousCalcomUid: string | null;

  @Column({ name: 'new_calcom_uid', type: 'varchar', length: 100, nullable: true })
  newCalcomUid: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** One step of a composite appointment: its own service, staff member, time and Cal.com booking. */
@Entity('appointment_step')
export class AppointmentStepEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'appointment_id', type: 'char', length: 36 })
  appointmentId: string;

  @Column({ type: 'int' })
  position: number;

  @Column({ name: 'service_id', type: 'char', length: 36 })
  serviceId: string;

  @Column({ name: 'staff_id', type: 'char', length: 36, nullable: true })
  staffId: string | null;

  @Column({ name: 'calcom_event_type_id', type: 'int' })
  calcomEventTypeId: number;

  @Column({ name: 'calcom_booking_uid', type: 'varchar', length: 100, nullable: true })
  calcomBookingUid: string | null;

  @Column({ name: 'starts_at', type: 'datetime', precision: 3 })
  startsAt: Date;

  @Column({ name: 'ends_at', type: 'datetime', precision: 3 })
  endsAt: Date;
}
