import { Injectable, NotFoundException } from '@nestjs/common';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import { Actor, auditBy, diff } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { AppointmentsClient } from '../appointments/appointments.client';
import { CallsClient } from '../calls/calls.client';
import { UUID_RE } from '../common/zod-body';
import { CompaniesRepository } from '../companies/companies.repository';
import type { MergeCustomersDto, SearchCustomersQuery, UpdateCustomerDto } from './dto';

interface CustomerRecord {
  customerId: string;
  name: string;
  phone: string | null;
  email: string | null;
  language: string;
}

/**
 * A company's customers, asked of booking (which owns them) within the path's company only; a customer's calls are
 * asked of voice-agent by the customer's number. Changes are audited.
 */
@Injectable()
export class CustomersService {
  constructor(
    private readonly booking: AppointmentsClient,
    private readonly calls: CallsClient,
    private readonly audit: AuditService,
    private readonly companies: CompaniesRepository,
  ) {}

  async search(companyId: string, q: SearchCustomersQuery) {
    const query = q.q ? await this.internationalPrefix(companyId, q.q) : undefined;
    const page = await this.booking.ask({ operation: 'customers.search', companyId, callId: null, query, limit: q.limit, cursor: q.cursor });
    return { data: page.customers ?? [], next: page.next ?? null };
  }

  /** The customer, their appointments and, by their number, their latest calls (null when call records are unavailable). */
  async get(companyId: string, customerId: string) {
    this.requireId(customerId);
    const reply = await this.booking.ask({ operation: 'customer.get', companyId, callId: null, customerId });
    const customer = reply.customer as CustomerRecord;
    let calls: unknown[] | null = [];
    if (customer.phone) {
      calls = await this.calls
        .ask({ operation: 'calls.list', companyId, number: customer.phone, limit: 25 })
        .then((page) => (page.calls as unknown[]) ?? [])
        .catch(() => null);
    }
    return { ...customer, appointments: reply.appointments ?? [], calls };
  }

  async update(actor: Actor, companyId: string, customerId: string, dto: UpdateCustomerDto) {
    this.requireId(customerId);
    const reply = await this.booking.ask({ operation: 'customer.update', companyId, callId: null, customerId, ...dto });
    const changes = diff(reply.previous as CustomerRecord, dto);
    if (Object.keys(changes).length) {
      await this.audit.record({ ...auditBy(actor), action: 'customer.updated', companyId, targetType: 'customer', targetId: customerId, changes });
    }
    return reply.customer;
  }

  async merge(actor: Actor, companyId: string, customerId: string, dto: MergeCustomersDto) {
    this.requireId(customerId);
    const reply = await this.booking.ask({ operation: 'customers.merge', companyId, callId: null, customerId, duplicateId: dto.duplicateId });
    await this.audit.record({
      ...auditBy(actor),
      action: 'customer.merged',
      companyId,
      targetType: 'customer',
      targetId: customerId,
      changes: { duplicateId: dto.duplicateId, movedAppointments: reply.movedAppointments },
    });
    return { customer: reply.customer, merged: reply.merged, movedAppointments: reply.movedAppointments, dropped: reply.dropped };
  }

  /**
   * A national number as staff type it (`0151 123…`, possibly incomplete) becomes the beginning of its E.164 form in
   * the country of the company's own line (`+49151123…`), which booking finds by the phone index; without a line of
   * the company the digits are searched anywhere in the number (slower, no index).
   */
  private async internationalPrefix(companyId: string, q: string): Promise<string> {
    if (!/^0[1-9][\d\s()/.-]{2,}$/.test(q)) return q;
    const [line] = await this.companies.listPhoneNumbers({ all: false, companyId }, companyId);
    const callingCode = line ? parsePhoneNumberFromString(line.number)?.countryCallingCode : undefined;
    return callingCode ? `+${callingCode}${q.replace(/\D/g, '').slice(1)}` : q;
  }

  private requireId(customerId: string) {
    if (!UUID_RE.test(customerId)) throw new NotFoundException('customer not found');
  }
}
