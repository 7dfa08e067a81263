import { Column, Entity, PrimaryColumn } from 'typeorm';


export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export type Currency = (typeof CURRENCIES)[number];

@Entity('company')
export class CompanyEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;

  @Column({ type: 'varchar', length: 10 })
  language: string;

  @Column({ type: 'char', length: 3 })
  currency: Currency;

  @Column({ type: 'simple-json' })
  settings: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

@Entity('branch')
export class BranchEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'char', length: 36 })
  companyId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'time_zone', type: 'varchar', length: 64, nullable: true })
  timeZone: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  address: string | null;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}

/** A dialled number (E.164, unique across the platform) → the company (and branch) that owns it. */
@Entity('phone_number')
export class PhoneNumberEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'char', length: 36 })
  companyId: string;

  @Column({ name: 'branch_id', type: 'char', length: 36, nullable: true })
  branchId: string | null;

  @Column({ type: 'varchar', length: 16 })
  number: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}

/** A Retell agent id (unique) → the company (and branch) it answers for. */
@Entity('retell_agent')
export class RetellAgentEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'char', length: 36 })
  companyId: string;

  @Column({ name: 'branch_id', type: 'char', length: 36, nullable: true })
  branchId: string | null;

  @Column({ name: 'agent_id', type: 'varchar', length: 100 })
  agentId: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  label: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
