import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, LessThan, MoreThan, MoreThanOrEqual, Not } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { AppointmentChangeEntity, AppointmentEntity } from './appointment.entities';
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

  /** Booked appointments in one calendar (event type) that overlap [from, to). */
  overlapping(companyId: string, calcomEventTypeId: number, from: Date, to: Date, excludeId?: string, manager?: EntityManager): Promise<AppointmentEntity[]> {
    return this.m(manager)
      .getRepository(AppointmentEntity)
      .find({
        where: {
          companyId,
          calcomEventTypeId,
          status: 'booked',
          startsAt: LessThan(to),
          endsAt: MoreThan(from),
          ...(excludeId ? { id: Not(excludeId) } : {}),
        },
        order: { startsAt: 'ASC' },
      });
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
