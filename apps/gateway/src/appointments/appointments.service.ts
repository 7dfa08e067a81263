import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { Principal, tenantScope } from '../auth/principal';
import { UUID_RE } from '../common/zod-body';
import { CompaniesRepository } from '../companies/companies.repository';
import { AppointmentsClient } from './appointments.client';
import type { CancelAppointmentDto, CreateAppointmentDto, ListAppointmentsQuery, MoveAppointmentDto, RecordOutcomeDto } from './dto';

interface AppointmentSummary {
  appointmentId: string;
  status: string;
  startsAt: string;
  customer: { customerId: string } | null;
}

/**
 * The business's appointments, asked of booking within the path's company only: the list and one appointment with
 * its history, and the changes a receptionist makes (book, cancel, move, outcome) through the voice agent's own
 * booking path (slot locks, Cal.com, `booking.*` events, so confirmations and callbacks follow). Changes are audited.
 */
@Injectable()
export class AppointmentsService {
  constructor(
    private readonly booking: AppointmentsClient,
    private readonly companies: CompaniesRepository,
    private readonly audit: AuditService,
  ) {}

  /** The company the principal may act on and its language (another company's looks like a missing one: 404). */
  async company(principal: Principal, companyId: string): Promise<{ id: string; language: string }> {
    const company = await this.companies.findCompany(tenantScope(principal), companyId);
    if (!company) throw new NotFoundException();
    return { id: company.id, language: company.language };
  }

  async list(companyId: string, q: ListAppointmentsQuery) {
    const page = await this.booking.ask({ operation: 'appointments.search', companyId, callId: null, ...q });
    return { data: page.appointments ?? [], next: page.next ?? null };
  }

  async get(companyId: string, appointmentId: string) {
    if (!UUID_RE.test(appointmentId)) throw new NotFoundException('appointment not found');
    const reply = await this.booking.ask({ operation: 'appointment.get', companyId, callId: null, appointmentId });
    return { ...(reply.appointment as object), customer: reply.customer, history: reply.history };
  }

  async create(actor: Actor, company: { id: string; language: string }, dto: CreateAppointmentDto, idempotencyKey: string) {
    const reply = await this.booking.ask({
      operation: 'appointment.book',
      companyId: company.id,
      callId: null,
      serviceId: dto.serviceId,
      staffId: dto.staffId ?? null,
      start: dto.start,
      customer: { name: dto.customer.name, phone: dto.customer.phone ?? null, email: dto.customer.email ?? null, language: dto.customer.language ?? company.language, numberVerified: true },
      notes: dto.notes ?? null,
      // Its own namespace: a key of the admin API can never meet one of the voice agent's or an imported booking's.
      idempotencyKey: `staff:${actor.principal.userId ?? 'token'}:${idempotencyKey}`,
      source: 'staff',
    });
    const appointment = reply.appointment as AppointmentSummary;
    if (!reply.replayed) {
      await this.audit.record({ ...auditBy(actor), action: 'appointment.created', companyId: company.id, targetType: 'appointment', targetId: appointment.appointmentId, changes: { startsAt: appointment.startsAt, serviceId: dto.serviceId } });
    }
    return { replayed: reply.replayed === true, appointment: await this.get(company.id, appointment.appointmentId) };
  }

  async cancel(actor: Actor, companyId: string, appointmentId: string, dto: CancelAppointmentDto) {
    const current = await this.booked(companyId, appointmentId, { allowCancelled: true });
    if (current.status === 'booked') {
      await this.booking.ask({ operation: 'appointment.cancel', companyId, callId: null, customer: { customerId: current.customer!.customerId }, appointmentId, reason: dto.reason ?? null, cancelledBy: 'business' });
      await this.audit.record({ ...auditBy(actor), action: 'appointment.cancelled', companyId, targetType: 'appointment', targetId: appointmentId, changes: { status: { from: 'booked', to: 'cancelled' }, reason: dto.reason ?? null } });
    }
    return this.get(companyId, appointmentId);
  }

  async move(actor: Actor, companyId: string, appointmentId: string, dto: MoveAppointmentDto, idempotencyKey: string | undefined) {
    const current = await this.booked(companyId, appointmentId);
    const reply = await this.booking.ask({
      operation: 'appointment.reschedule',
      companyId,
      callId: null,
      customer: { customerId: current.customer!.customerId },
      appointmentId,
      newStart: dto.start,
      idempotencyKey: `staff-move:${appointmentId}:${idempotencyKey ?? randomUUID()}`,
      movedBy: 'business',
    });
    const moved = reply.appointment as AppointmentSummary;
    if (!reply.replayed && moved.startsAt !== current.startsAt) {
      await this.audit.record({ ...auditBy(actor), action: 'appointment.moved', companyId, targetType: 'appointment', targetId: appointmentId, changes: { startsAt: { from: current.startsAt, to: moved.startsAt } } });
    }
    return this.get(companyId, appointmentId);
  }

  async recordOutcome(actor: Actor, companyId: string, appointmentId: string, dto: RecordOutcomeDto) {
    if (!UUID_RE.test(appointmentId)) throw new NotFoundException('appointment not found');
    const before = (await this.get(companyId, appointmentId)) as unknown as AppointmentSummary;
    const reply = await this.booking.ask({ operation: 'appointment.record-outcome', companyId, callId: null, appointmentId, outcome: dto.outcome });
    if (reply.changed) {
      await this.audit.record({ ...auditBy(actor), action: 'appointment.outcome_recorded', companyId, targetType: 'appointment', targetId: appointmentId, changes: { status: { from: before.status, to: dto.outcome } } });
    }
    return { ...(reply.appointment as object), customer: reply.customer, history: reply.history };
  }

  /** The appointment as it stands; a change needs it booked (409 otherwise, saying why). */
  private async booked(companyId: string, appointmentId: string, { allowCancelled = false } = {}): Promise<AppointmentSummary> {
    const current = (await this.get(companyId, appointmentId)) as unknown as AppointmentSummary;
    if (current.status === 'booked' || (allowCancelled && current.status === 'cancelled')) return current;
    throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `appointmentId: the appointment is ${current.status.replace('_', '-')}; it can no longer be changed`, field: 'appointmentId' });
  }
}
