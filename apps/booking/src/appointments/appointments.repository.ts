import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, MoreThanOrEqual } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { AppointmentChangeEntity, AppointmentEntity, AppointmentStepEntity } from './appointment.entities';

/** A stretch of booked time (an appointment or a step of one). */
export interface BusyTime {
  id: string;
  startsAt: Date;
  endsAt: Date;
}
import { PolicyDecisionEntity } from './policy-decision.entity';

/** Appointments of one company; every query is scoped by company id. */
@Injectable()
export class AppointmentsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  findById(companyId: string, id: string, manager?: EntityManager): Promise<AppointmentEntity | null> {
    return this.m(manager).getRepository(AppointmentEntity).findOneBy({ companyId, id });
  }

  findByIdempotencyKey(companyId: string, idempotencyKey: string, manager?: EntityManager): Promise<AppointmentEntity | null> {
    return this.m(manager).getRepository(AppointmentEntity).findOneBy({ companyId, idempotencyKey });
  }

  findByCalcomUid(uid: string, manager?: EntityManager): Promise<AppointmentEntity | null> {
    return this.m(manager).getRepository(AppointmentEntity).findOneBy({ calcomBookingUid: uid });
  }

  /**
   * Booked time in one calendar (event type) overlapping [from, to): ordinary appointments and the steps of
   * composite ones (a composite's own row spans all its steps and holds no calendar itself).
   */
  async overlapping(companyId: string, calcomEventTypeId: number, from: Date, to: Date, excludeId?: string, manager?: EntityManager): Promise<BusyTime[]> {
    return this.busy(companyId, 'calcom_event_type_id', calcomEventTypeId, from, to, excludeId, manager);
  }

  /** The staff member's booked time overlapping [from, to), in any service (as a whole appointment or a step). */
  async staffBusy(companyId: string, staffId: string, from: Date, to: Date, excludeId?: string, manager?: EntityManager): Promise<BusyTime[]> {
    return this.busy(companyId, 'staff_id', staffId, from, to, excludeId, manager);
  }

  private async busy(companyId: string, column: 'calcom_event_type_id' | 'staff_id', value: number | string, from: Date, to: Date, excludeId: string | undefined, manager?: EntityManager): Promise<BusyTime[]> {
    const exclude = excludeId ? ' AND a.id <> ?' : '';
    const params = (extra: unknown[]) => [companyId, value, to, from, ...(excludeId ? [excludeId] : []), ...extra];
    const rows: { id: string; starts_at: Date; ends_at: Date }[] = await this.m(manager).query(
      `SELECT a.id, a.starts_at, a.ends_at FROM appointment a
        WHERE a.company_id = ? AND a.${column} = ? AND a.status = 'booked' AND a.composite = 0 AND a.starts_at < ? AND a.ends_at > ?${exclude}
       UNION ALL
       SELECT a.id, s.starts_at, s.ends_at FROM appointment_step s JOIN appointment a ON a.id = s.appointment_id
        WHERE s.company_id = ? AND s.${column} = ? AND a.status = 'booked' AND s.starts_at < ? AND s.ends_at > ?${exclude}
       ORDER BY starts_at`,
      [...params([]), ...params([])],
    );
    return rows.map((r) => ({ id: r.id, startsAt: new Date(r.starts_at), endsAt: new Date(r.ends_at) }));
  }

  steps(companyId: string, appointmentId: string, manager?: EntityManager): Promise<AppointmentStepEntity[]> {
    return this.m(manager).getRepository(AppointmentStepEntity).find({ where: { companyId, appointmentId }, order: { position: 'ASC' } });
  }

  /** A customer's appointments: upcoming booked ones, or everything with `includePast`. */
  listForCustomer(companyId: string, customerId: string, { includePast = false, now = new Date() } = {}): Promise<AppointmentEntity[]> {
    return this.m()
      .getRepository(AppointmentEntity)
      .find({
        where: includePast ? { companyId, customerId } : { companyId, customerId, status: 'booked', startsAt: MoreThanOrEqual(now) },
        order: { startsAt: 'ASC' },
        take: 100,
      });
  }

  findChangeByKey(companyId: string, idempotencyKey: string, manager?: EntityManager): Promise<AppointmentChangeEntity | null> {
    return this.m(manager).getRepository(AppointmentChangeEntity).findOneBy({ companyId, idempotencyKey });
  }

  /** Records one policy decision (in the caller's transaction when given one). */
  async recordDecision(
    d: Omit<PolicyDecisionEntity, 'id' | 'decidedAt'> & { decidedAt?: Date },
    manager?: EntityManager,
  ): Promise<void> {
    await this.m(manager).getRepository(PolicyDecisionEntity).insert({ id: randomUUID(), decidedAt: new Date(), ...d });
  }

  decisions(companyId: string, appointmentId?: string): Promise<PolicyDecisionEntity[]> {
    return this.dataSource.manager.getRepository(PolicyDecisionEntity).find({
      where: appointmentId ? { companyId, appointmentId } : { companyId },
      order: { decidedAt: 'ASC' },
    });
  }
}
