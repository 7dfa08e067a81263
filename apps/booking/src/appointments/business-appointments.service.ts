import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { Topics, bookingRequestSchema } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { BookingFailure } from '../common/booking-failure';
import { formatInZone } from '../common/zoned-time';
import { CustomerEntity } from '../customers/customer.entity';
import { customerView } from '../customers/customers.service';
import { AppointmentChangeEntity, AppointmentEntity, AppointmentStepEntity } from './appointment.entities';
import { appointmentEventData, appointmentView } from './appointment-views';
import { AppointmentsRepository } from './appointments.repository';
import { AppointmentsService } from './appointments.service';

type Req = z.output<typeof bookingRequestSchema>;
export type SearchRequest = Extract<Req, { operation: 'appointments.search' }>;
export type OutcomeRequest = Extract<Req, { operation: 'appointment.record-outcome' }>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `<start ms>.<id>`: start order, ties broken by id, stable while rows are added (the platform's one cursor shape). */
function encodeCursor(a: AppointmentEntity): string {
  return `${a.startsAt.getTime()}.${a.id}`;
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const m = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(cursor);
  if (!m) throw new BookingFailure('invalid_request', 'cursor: not a cursor from a previous page');
  return { at: new Date(Number(m[1])), id: m[2] };
}

const LIST_COLUMNS = ['id', 'company_id', 'service_id', 'staff_id', 'customer_id', 'call_id', 'calcom_event_type_id', 'calcom_booking_uid', 'starts_at', 'ends_at', 'time_zone', 'status', 'source', 'idempotency_key', 'rescheduled_count', 'composite', 'notes', 'cancelled_at', 'cancellation_reason', 'cancelled_by', 'created_at', 'updated_at', 'version'];

/** A plain row as the entity (what `views` reads). */
function fromRaw(r: Record<string, unknown>): AppointmentEntity {
  const v = (c: string) => r[c];
  const date = (c: string) => (v(c) ? new Date(v(c) as string | Date) : null);
  return {
    id: v('id') as string,
    companyId: v('company_id') as string,
    serviceId: v('service_id') as string,
    staffId: (v('staff_id') as string | null) ?? null,
    customerId: v('customer_id') as string,
    callId: (v('call_id') as string | null) ?? null,
    calcomEventTypeId: Number(v('calcom_event_type_id')),
    calcomBookingUid: (v('calcom_booking_uid') as string | null) ?? null,
    startsAt: date('starts_at')!,
    endsAt: date('ends_at')!,
    timeZone: v('time_zone') as string,
    status: v('status') as AppointmentEntity['status'],
    source: v('source') as AppointmentEntity['source'],
    idempotencyKey: v('idempotency_key') as string,
    rescheduledCount: Number(v('rescheduled_count')),
    composite: Boolean(Number(v('composite'))),
    notes: (v('notes') as string | null) ?? null,
    cancelledAt: date('cancelled_at'),
    cancellationReason: (v('cancellation_reason') as string | null) ?? null,
    cancelledBy: (v('cancelled_by') as AppointmentEntity['cancelledBy']) ?? null,
    createdAt: date('created_at')!,
    updatedAt: date('updated_at')!,
    version: Number(v('version') ?? 1),
  };
}

export interface HistoryEntry {
  at: string;
  kind: 'created' | 'moved' | 'cancelled' | 'completed' | 'no_show' | 'policy';
  [detail: string]: unknown;
}

/**
 * The business's view of its appointments (the admin API): every appointment of the company by time, staff,
 * service, status and source; one with its history; and the outcome recorded after the start. Booking, moving
 * and cancelling go through AppointmentsService, the voice agent's own path.
 */
@Injectable()
export class BusinessAppointmentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly appointments: AppointmentsRepository,
    private readonly booking: AppointmentsService,
    private readonly catalogueRepo: CatalogueRepository,
    private readonly outbox: Outbox,
  ) {}

  async search(req: SearchRequest) {
    const where = ['company_id = ?'];
    const params: unknown[] = [req.companyId];
    const add = (clause: string, ...values: unknown[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (req.from) add('starts_at >= ?', new Date(req.from));
    if (req.to) add('starts_at < ?', new Date(req.to));
    if (req.staffId) add('staff_id = ?', req.staffId);
    if (req.serviceId) add('service_id = ?', req.serviceId);
    if (req.customerId) add('customer_id = ?', req.customerId);
    if (req.status?.length) add(`status IN (${req.status.map(() => '?').join(',')})`, ...req.status);
    if (req.source?.length) add(`source IN (${req.source.map(() => '?').join(',')})`, ...req.source);
    if (req.cursor) {
      const { at, id } = decodeCursor(req.cursor);
      add('(starts_at > ? OR (starts_at = ? AND id > ?))', at, at, id);
    }
    // Plain rows mapped here: entity hydration cost more than the indexed query itself on a page of 100.
    const raw: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT ${LIST_COLUMNS.join(', ')} FROM appointment WHERE ${where.join(' AND ')} ORDER BY starts_at, id LIMIT ${req.limit + 1}`,
      params,
    );
    const rows = raw.map(fromRaw);
    const page = rows.slice(0, req.limit);
    return { appointments: await this.views(req.companyId, page), next: rows.length > req.limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(companyId: string, appointmentId: string) {
    const a = UUID_RE.test(appointmentId) ? await this.appointments.findById(companyId, appointmentId) : null;
    if (!a) throw new BookingFailure('not_found', 'appointmentId: no such appointment');
    const [view] = await this.views(companyId, [a]);
    const customer = await this.dataSource.getRepository(CustomerEntity).findOneBy({ companyId, id: a.customerId });
    return { appointment: { ...view, ...(await this.stepsView(a)) }, customer: customer ? customerView(customer) : null, history: await this.history(a) };
  }

  /**
   * completed or no_show for an appointment that has started, under the appointment's lock so it cannot cross a
   * move or a cancellation; a correction (no_show ↔ completed) is allowed, the same outcome again changes nothing.
   */
  async recordOutcome(req: OutcomeRequest) {
    const found = UUID_RE.test(req.appointmentId) ? await this.appointments.findById(req.companyId, req.appointmentId) : null;
    if (!found) throw new BookingFailure('not_found', 'appointmentId: no such appointment');
    return this.booking.withAppointmentLock(req.companyId, found.id, `outcome:${randomUUID()}`, async () => {
      const current = (await this.appointments.findById(req.companyId, found.id))!;
      if (current.status === 'cancelled') throw new BookingFailure('conflict', 'outcome: the appointment was cancelled');
      if (current.startsAt.getTime() > Date.now()) throw new BookingFailure('conflict', 'outcome: the appointment has not started yet');
      if (current.status === req.outcome) return { ...(await this.get(req.companyId, current.id)), changed: false };
      const [service] = await this.catalogueRepo.findServicesByIds(req.companyId, [current.serviceId]);
      const customer = (await this.dataSource.getRepository(CustomerEntity).findOneBy({ companyId: req.companyId, id: current.customerId }))!;
      const now = new Date();
      await this.outbox.transaction(async (manager, publish) => {
        const result = await manager
          .getRepository(AppointmentEntity)
          .update({ id: current.id, companyId: req.companyId, status: current.status }, { status: req.outcome, updatedAt: now, version: () => 'version + 1' });
        if (!result.affected) throw new BookingFailure('conflict', 'outcome: the appointment changed meanwhile; try again');
        await manager.getRepository(AppointmentChangeEntity).insert({
          id: randomUUID(),
          companyId: req.companyId,
          appointmentId: current.id,
          kind: req.outcome,
          idempotencyKey: null,
          previousStartsAt: current.startsAt,
          newStartsAt: null,
          previousCalcomUid: current.calcomBookingUid,
          newCalcomUid: null,
          createdAt: now,
        });
        // The version this change gave the row (the row lock is ours, so we read our own write), as booking.* carry it.
        const [{ version }] = (await manager.query('SELECT version FROM appointment WHERE company_id = ? AND id = ?', [req.companyId, current.id])) as { version: number }[];
        await publish({
          topic: Topics.bookingOutcomeRecorded.name,
          key: current.id,
          companyId: req.companyId,
          subject: current.id,
          data: { ...appointmentEventData({ ...current, version: Number(version) }, service, customer), outcome: req.outcome, previousStatus: current.status as 'booked' | 'completed' | 'no_show' },
        });
      });
      return { ...(await this.get(req.companyId, current.id)), changed: true };
    });
  }

  /** The list shape: the voice agent's view plus who, where from and in which call. */
  private async views(companyId: string, rows: AppointmentEntity[]) {
    const services = new Map((await this.catalogueRepo.findServicesByIds(companyId, [...new Set(rows.map((r) => r.serviceId))])).map((s) => [s.id, s]));
    const staffIds = [...new Set(rows.map((r) => r.staffId).filter((s): s is string => !!s))];
    const staff = new Map((await this.catalogueRepo.findStaffByIds(companyId, staffIds)).map((s) => [s.id, s]));
    const customerIds = [...new Set(rows.map((r) => r.customerId))];
    const customers = new Map<string, { id: string; name: string; phone: string | null; email: string | null }>(
      (customerIds.length
        ? ((await this.dataSource.query(`SELECT id, name, phone, email FROM customer WHERE company_id = ? AND id IN (${customerIds.map(() => '?').join(',')})`, [companyId, ...customerIds])) as {
            id: string;
            name: string;
            phone: string | null;
            email: string | null;
          }[])
        : []
      ).map((c) => [c.id, c]),
    );
    return rows.map((r) => {
      const c = customers.get(r.customerId);
      return {
        ...appointmentView(r, services.get(r.serviceId), r.staffId ? staff.get(r.staffId) : null),
        source: r.source ?? 'phone',
        callId: r.callId,
        customer: c ? { customerId: c.id, name: c.name, phone: c.phone, email: c.email } : null,
        notes: r.notes,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
        cancelledAt: r.cancelledAt ? r.cancelledAt.toISOString() : null,
        cancellationReason: r.cancellationReason,
        cancelledBy: r.cancelledBy,
      };
    });
  }

  private async stepsView(a: AppointmentEntity) {
    if (!a.composite) return {};
    const steps = await this.dataSource.getRepository(AppointmentStepEntity).find({ where: { companyId: a.companyId, appointmentId: a.id }, order: { position: 'ASC' } });
    const services = new Map((await this.catalogueRepo.findServicesByIds(a.companyId, steps.map((st) => st.serviceId))).map((sv) => [sv.id, sv]));
    return {
      steps: steps.map((st) => ({
        serviceId: st.serviceId,
        serviceName: services.get(st.serviceId)?.name ?? '',
        staffId: st.staffId,
        startsAt: formatInZone(st.startsAt.getTime(), a.timeZone),
        endsAt: formatInZone(st.endsAt.getTime(), a.timeZone),
      })),
    };
  }

  /** Made (where, in which call), moved, cancelled, the outcome and every policy decision, oldest first. */
  private async history(a: AppointmentEntity): Promise<HistoryEntry[]> {
    const at = (d: Date) => formatInZone(d.getTime(), a.timeZone);
    const changes = await this.dataSource.getRepository(AppointmentChangeEntity).find({ where: { companyId: a.companyId, appointmentId: a.id }, order: { createdAt: 'ASC' } });
    const decisions = await this.appointments.decisions(a.companyId, a.id);
    const entries: { ms: number; entry: HistoryEntry }[] = [
      { ms: a.createdAt.getTime(), entry: { at: at(a.createdAt), kind: 'created', source: a.source ?? 'phone', callId: a.callId } },
      ...changes.map((c) => {
        const entry: HistoryEntry =
          c.kind === 'reschedule'
            ? { at: at(c.createdAt), kind: 'moved', from: at(c.previousStartsAt), to: c.newStartsAt ? at(c.newStartsAt) : null }
            : c.kind === 'cancel'
              ? { at: at(c.createdAt), kind: 'cancelled', reason: a.cancellationReason, by: a.cancelledBy }
              : { at: at(c.createdAt), kind: c.kind };
        return { ms: c.createdAt.getTime(), entry };
      }),
      ...decisions.map((d) => ({
        ms: d.decidedAt.getTime(),
        entry: { at: at(d.decidedAt), kind: 'policy' as const, action: d.action, allowed: d.allowed, rule: d.rule, callId: d.callId },
      })),
    ];
    return entries.sort((x, y) => x.ms - y.ms).map((e) => e.entry);
  }
}
