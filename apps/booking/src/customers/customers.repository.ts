import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CustomerEntity } from './customer.entity';

export interface CustomerDetails {
  name: string;
  phone: string | null;
  email: string | null;
  language: string;
  /** false: a number the caller only said (their own was withheld) — never overwrites an existing customer. */
  numberVerified?: boolean;
}

/** Customers of one company; every query is scoped by company id. */
@Injectable()
export class CustomersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  findByPhone(companyId: string, phone: string, manager?: EntityManager): Promise<CustomerEntity | null> {
    return this.m(manager).getRepository(CustomerEntity).findOneBy({ companyId, phone });
  }

  findById(companyId: string, id: string, manager?: EntityManager): Promise<CustomerEntity | null> {
    return this.m(manager).getRepository(CustomerEntity).findOneBy({ companyId, id });
  }

  /**
   * The booking's customer: matched by exact E.164 number (never by its last digits), else by e-mail, else new.
   * What the caller just told us (name, e-mail, language) wins over what we had.
   */
  async upsert(manager: EntityManager, companyId: string, details: CustomerDetails, now = new Date()): Promise<CustomerEntity> {
    const repo = manager.getRepository(CustomerEntity);
    if (details.phone) {
      // Insert-or-update in one statement: two calls from the same number cannot create two customers.
      const update = details.numberVerified === false
        ? 'updated_at = updated_at'
        : 'name = VALUES(name), email = COALESCE(VALUES(email), email), language = VALUES(language), updated_at = VALUES(updated_at)';
      await manager.query(
        `INSERT INTO customer (id, company_id, phone, name, email, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE ${update}`,
        [randomUUID(), companyId, details.phone, details.name, details.email, details.language, now, now],
      );
      return (await repo.findOneBy({ companyId, phone: details.phone }))!;
    }
    const { numberVerified, ...fields } = details;
    const byEmail = fields.email ? await repo.findOne({ where: { companyId, email: fields.email }, order: { createdAt: 'ASC' } }) : null;
    if (byEmail) {
      if (numberVerified === false) return byEmail;
      await repo.update({ id: byEmail.id, companyId }, { name: fields.name, language: fields.language, updatedAt: now });
      return { ...byEmail, name: fields.name, language: fields.language, updatedAt: now };
    }
    const created: CustomerEntity = { id: randomUUID(), companyId, ...fields, createdAt: now, updatedAt: now };
    await repo.insert(created);
    return created;
  }
}
