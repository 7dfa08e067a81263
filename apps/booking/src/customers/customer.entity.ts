import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A caller of one company, recognised by their E.164 number (unique per company). */
@Entity('customer')
export class CustomerEntity {
  @PrimaryColumn({ type: 'char', length: 36 })
  id: string;

  @Column({ name: 'company_id', type: 'varchar', length: 64 })
  companyId: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  phone: string | null;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ type: 'varchar', length: 10 })
  language: string;

  /** Set when this record was merged into another (a tombstone: no phone or e-mail, no appointments). */
  @Column({ name: 'merged_into', type: 'char', length: 36, nullable: true })
  mergedInto?: string | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
