import type { CallbackReasonName } from '@receptionist/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type CallbackStatus = 'open' | 'done' | 'closed';
export type CallbackReason = CallbackReasonName;

/** A caller's wish we could not serve on the phone; staff call back. */
@Entity('callback_request')
export class CallbackRequestEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'call_id', type: 'varchar', length: 128, nullable: true })
  callId: string | null;

  /** The wish this records (unique per company): the same wish sent again is this row, not another. */
  @Column({ name: 'wish_id', type: 'varchar', length: 100, nullable: true })
  wishId?: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 1000 })
  wish: string;

  @Column({ type: 'varchar', length: 30 })
  reason: CallbackReason;

  @Column({ type: 'varchar', length: 20 })
  status: CallbackStatus;

  /** What staff noted when handling it (admin API). */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  note?: string | null;

  @Column({ name: 'handled_by', type: 'varchar', length: 200, nullable: true })
  handledBy?: string | null;

  @Column({ name: 'handled_at', type: 'datetime', precision: 3, nullable: true })
  handledAt?: Date | null;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3, nullable: true })
  updatedAt?: Date | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
