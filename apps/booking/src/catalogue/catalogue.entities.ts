import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Opening hours per weekday in the company's time zone: `{ mon: [['09:00','12:00'], ['13:00','17:00']] }`. */
export type OpeningHours = Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>>;

export interface BookingPolicies {
  minNoticeMinutes: number;
  cancellationNoticeHours: number;
  maxReschedules: number;
  bookingHorizonDays: number;
  /** Notice for moving an appointment; absent/null = the cancellation notice. */
  rescheduleNoticeHours?: number | null;
}

/** A service's own overrides of the company's policies (any subset). */
export type ServicePolicies = Partial<Omit<BookingPolicies, 'rescheduleNoticeHours'> & { rescheduleNoticeHours: number }>;

export interface Closure {
  from: string;
  to: string;
  reason?: string | null;
}

/** One step of a composite service. */
export interface ServiceStep {
  serviceId: string;
  staffIds: string[];
}

/** The company as booking knows it: zone, language, Cal.com team, hours, policies and the applied set-up revision. */
@Entity('booking_company')
export class BookingCompanyEntity {
  @PrimaryColumn({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  @Column({ type: 'varchar', length: 10 })
  language: string;

  @Column({ name: 'calcom_team_slug', type: 'varchar', length: 100, nullable: true })
  calcomTeamSlug: string | null;

  @Column({ name: 'opening_hours', type: 'simple-json' })
  openingHours: OpeningHours;

  @Column({ type: 'simple-json' })
  policies: BookingPolicies;

  /** Local days the business is closed although its week says open (`from`..`to` inclusive). */
  @Column({ type: 'simple-json', nullable: true })
  closures?: Closure[] | null;

  /** `DE-BY`: public holidays of that region close the business; null: holidays are ordinary days. */
  @Column({ name: 'holiday_region', type: 'varchar', length: 10, nullable: true })
  holidayRegion?: string | null;

  @Column({ type: 'varchar', length: 200 })
  revision: string;

  @Column({ name: 'applied_at', type: 'datetime', precision: 3 })
  appliedAt: Date;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

@Entity('service')
export class ServiceEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  /** The business's stable key from the set-up document; unique per company. */
  @Column({ type: 'varchar', length: 64 })
  key: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'simple-json' })
  aliases: string[];

  @Column({ name: 'calcom_event_type_id', type: 'int' })
  calcomEventTypeId: number;

  @Column({ name: 'duration_minutes', type: 'int' })
  durationMinutes: number;

  /** Integer minor units; null = price on request. */
  @Column({ name: 'price_minor', type: 'bigint', nullable: true, transformer: { to: (v) => v, from: (v) => (v === null ? null : Number(v)) } })
  priceMinor: number | null;

  @Column({ type: 'boolean' })
  active: boolean;

  /** Overrides of the company's booking policies for this service (null: the company's apply). */
  @Column({ type: 'simple-json', nullable: true })
  policies?: ServicePolicies | null;

  /** A composite service's steps in order (each another service; staff who may do it, empty = whoever performs it). */
  @Column({ type: 'simple-json', nullable: true })
  steps?: ServiceStep[] | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('staff')
export class StaffEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ type: 'varchar', length: 64 })
  key: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'calcom_user_id', type: 'int', nullable: true })
  calcomUserId: number | null;

  /** When this person works (company time zone); null: whenever the business is open. */
  @Column({ name: 'working_hours', type: 'simple-json', nullable: true })
  workingHours?: OpeningHours | null;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** Which staff member performs which service (replaced as a whole on each applied revision). */
@Entity('staff_service')
export class StaffServiceEntity {
  @PrimaryColumn({ name: 'staff_id', type: 'char', length: 36 })
  staffId: string;

  @PrimaryColumn({ name: 'service_id', type: 'char', length: 36 })
  serviceId: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;
}

@Entity('branch_hours')
export class BranchHoursEntity {
  @PrimaryColumn({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @PrimaryColumn({ name: 'branch_id', type: 'varchar', length: 64 })
  branchId: string;

  @Column({ type: 'varchar', length: 64 })
  key: string;

  @Column({ name: 'opening_hours', type: 'simple-json' })
  openingHours: OpeningHours;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
