import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { bookingRequestSchema } from '@receptionist/contracts';
import { isDuplicateKeyError } from '@receptionist/messaging';
import { AppointmentEntity } from '../appointments/appointment.entities';
import { BusinessAppointmentsService } from '../appointments/business-appointments.service';
import { BookingFailure } from '../common/booking-failure';
import { CustomerEntity } from './customer.entity';

type Req = z.output<typeof bookingRequestSchema>;
export type CustomerSearchRequest = Extract<Req, { operation: 'customers.search' }>;
export type CustomerUpdateRequest = Extract<Req, { operation: 'customer.update' }>;
export type CustomerMergeRequest = Extract<Req, { operation: 'customers.merge' }>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** InnoDB's full-text index leaves out words shorter than this (innodb_ft_min_token_size). */
const FULLTEXT_MIN_WORD = 3;

/** What the admin API shows of a customer. */
export function customerRecord(c: CustomerEntity) {
  return {
    customerId: c.id,
    name: c.name,
    phone: c.phone,
    email: c.email,
    language: c.language,
    mergedInto: c.mergedInto ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** Name order: `<name>` and `<id>`, base64url (names hold any character, so not the `<ms>.<id>` of time-ordered lists). */
const encodeCursor = (c: CustomerEntity) => Buffer.from(JSON.stringify([c.name, c.id])).toString('base64url');
function decodeCursor(cursor: string): { name: string; id: string } {
  try {
    const [name, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof name === 'string' && typeof id === 'string' && UUID_RE.test(id)) return { name, id };
  } catch {
    // falls through to the refusal
  }
  throw new BookingFailure('invalid_request', 'cursor: not a cursor from a previous page');
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The business's customer records: search (name, phone, e-mail — each by an index), one customer with their
 * appointments, corrections, and merging two records of one person. Every query is scoped by company id.
 */
@Injectable()
export class CustomerDirectoryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appointments: BusinessAppointmentsService,
  ) {}

  async search(req: CustomerSearchRequest) {
    const qb = this.dataSource
      .getRepository(CustomerEntity)
      .createQueryBuilder('c')
      .where('c.company_id = :companyId', { companyId: req.companyId })
      .andWhere('c.merged_into IS NULL');
    const q = req.query?.trim();
    if (q) this.match(qb, q);
    if (req.cursor) {
      const { name, id } = decodeCursor(req.cursor);
      qb.andWhere('(c.name > :cname OR (c.name = :cname AND c.id > :cid))', { cname: name, cid: id });
    }
    const rows = await qb.orderBy('c.name', 'ASC').addOrderBy('c.id', 'ASC').take(req.limit + 1).getMany();
    const page = rows.slice(0, req.limit);
    return { customers: page.map(customerRecord), next: rows.length > req.limit ? encodeCursor(page[page.length - 1]) : null };
  }

  /**
   * An e-mail by its beginning, a phone number by its digits (an international number by its beginning, which the
   * unique index serves), a name by the beginnings of its words (full-text index; a word shorter than the index
   * keeps is matched as the beginning of the whole name).
   */
  private match(qb: ReturnType<typeof this.dataSource.createQueryBuilder>, q: string) {
    if (q.includes('@')) {
      qb.andWhere('c.email LIKE :email', { email: `${escapeLike(q.toLowerCase())}%` });
      return;
    }
    if (/^[+\d][\d\s()/.-]{2,}$/.test(q)) {
      const digits = q.replace(/\D/g, '');
      if (q.startsWith('+') || q.startsWith('00')) qb.andWhere('c.phone LIKE :phone', { phone: `+${digits.replace(/^00/, '')}%` });
      // A national number (0151 …): its digits after the trunk 0 appear in the E.164 form.
      else qb.andWhere('c.phone LIKE :phone', { phone: `%${digits.replace(/^0/, '')}%` });
      return;
    }
    const words = q.split(/\s+/).map((w) => w.replace(/[+\-<>()~*"@]/g, '')).filter(Boolean);
    if (words.length && words.every((w) => [...w].length >= FULLTEXT_MIN_WORD)) {
      qb.andWhere('MATCH(c.name) AGAINST (:words IN BOOLEAN MODE)', { words: words.map((w) => `+${w}*`).join(' ') });
    } else {
      qb.andWhere('c.name LIKE :name', { name: `${escapeLike(q)}%` });
    }
  }

  async get(companyId: string, customerId: string) {
    const customer = await this.find(companyId, customerId);
    const appointments = await this.appointments.search({ operation: 'appointments.search', companyId, callId: null, customerId: customer.id, limit: 100 });
    return { customer: customerRecord(customer), appointments: appointments.appointments, appointmentsNext: appointments.next };
  }

  async update(req: CustomerUpdateRequest) {
    return this.dataSource.transaction(async (manager) => {
      const before = await this.lock(manager, req.companyId, req.customerId);
      if (before.mergedInto) throw new BookingFailure('conflict', `customerId: merged into ${before.mergedInto}; change that record`);
      const patch: Partial<CustomerEntity> = {};
      for (const key of ['name', 'phone', 'email', 'language'] as const) if (req[key] !== undefined) (patch as Record<string, unknown>)[key] = req[key];
      if (patch.email) patch.email = patch.email.toLowerCase();
      const after: CustomerEntity = { ...before, ...patch, updatedAt: new Date() };
      if (!after.phone && !after.email) throw new BookingFailure('invalid_request', 'phone: a customer keeps a phone number or an e-mail address');
      try {
        await manager.getRepository(CustomerEntity).update({ companyId: req.companyId, id: before.id }, { ...patch, updatedAt: after.updatedAt });
      } catch (error) {
        if (isDuplicateKeyError(error)) throw new BookingFailure('conflict', 'phone: another customer of the company has this number; merge the two instead');
        throw error;
      }
      return { customer: customerRecord(after), previous: customerRecord(before) };
    });
  }

  /**
   * One transaction: the duplicate's appointments move to the kept record, which keeps its own details and takes
   * the duplicate's phone or e-mail where it has none; the duplicate stays as a tombstone naming the kept record.
   */
  async merge(req: CustomerMergeRequest) {
    if (req.customerId === req.duplicateId) throw new BookingFailure('invalid_request', 'duplicateId: must be another customer');
    // The path's customer first: a missing one is a 404, whatever the duplicate is.
    await this.find(req.companyId, req.customerId);
    return this.dataSource.transaction(async (manager) => {
      // Locked in a fixed order, so two merges of the same pair cannot deadlock.
      const [first, second] = [req.customerId, req.duplicateId].sort();
      const locked = new Map<string, CustomerEntity>();
      for (const id of [first, second]) locked.set(id, await this.lock(manager, req.companyId, id, id === req.duplicateId ? 'duplicateId' : 'customerId'));
      const keep = locked.get(req.customerId)!;
      const duplicate = locked.get(req.duplicateId)!;
      for (const [field, c] of [['customerId', keep], ['duplicateId', duplicate]] as const) {
        if (c.mergedInto) throw new BookingFailure('conflict', `${field}: already merged into ${c.mergedInto}`);
      }
      const now = new Date();
      const moved = await manager
        .getRepository(AppointmentEntity)
        .update({ companyId: req.companyId, customerId: duplicate.id }, { customerId: keep.id, updatedAt: now });
      // The duplicate gives up its number first: a phone is unique per company.
      await manager.getRepository(CustomerEntity).update({ companyId: req.companyId, id: duplicate.id }, { mergedInto: keep.id, phone: null, email: null, updatedAt: now });
      const filled = { phone: keep.phone ?? duplicate.phone, email: keep.email ?? duplicate.email };
      await manager.getRepository(CustomerEntity).update({ companyId: req.companyId, id: keep.id }, { ...filled, updatedAt: now });
      return {
        customer: customerRecord({ ...keep, ...filled, updatedAt: now }),
        merged: customerRecord({ ...duplicate, mergedInto: keep.id, phone: null, email: null, updatedAt: now }),
        movedAppointments: moved.affected ?? 0,
        dropped: { phone: keep.phone && duplicate.phone && keep.phone !== duplicate.phone ? duplicate.phone : null, email: keep.email && duplicate.email && keep.email !== duplicate.email ? duplicate.email : null },
      };
    });
  }

  private async find(companyId: string, customerId: string): Promise<CustomerEntity> {
    const c = UUID_RE.test(customerId) ? await this.dataSource.getRepository(CustomerEntity).findOneBy({ companyId, id: customerId }) : null;
    if (!c) throw new BookingFailure('not_found', 'customerId: no such customer');
    return c;
  }

  private async lock(manager: EntityManager, companyId: string, customerId: string, field = 'customerId'): Promise<CustomerEntity> {
    const c = UUID_RE.test(customerId)
      ? await manager.getRepository(CustomerEntity).createQueryBuilder('c').setLock('pessimistic_write').where('c.company_id = :companyId AND c.id = :id', { companyId, id: customerId }).getOne()
      : null;
    if (!c) throw new BookingFailure('not_found', `${field}: no such customer`);
    return c;
  }
}
