import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every policy decision on a caller's request (allowed or refused), so the business can see why the agent
 * said no — and that it said yes within the rules.
 */
@Entity('policy_decision')
export class PolicyDecisionEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'appointment_id', type: 'char', length: 36, nullable: true })
  appointmentId: string | null;

  @Column({ name: 'service_id', type: 'char', length: 36, nullable: true })
  serviceId: string | null;

  @Column({ name: 'call_id', type: 'varchar', length: 128, nullable: true })
  callId: string | null;

  /** book | cancel | reschedule */
  @Column({ type: 'varchar', length: 20 })
  action: string;

  @Column({ type: 'boolean' })
  allowed: boolean;

  /** The rule that refused (null when allowed): too_short_notice, beyond_horizon, cancellation_notice, … */
  @Column({ type: 'varchar', length: 40, nullable: true })
  rule: string | null;

  @Column({ type: 'simple-json' })
  detail: Record<string, any>;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3 })
  decidedAt: Date;
}
