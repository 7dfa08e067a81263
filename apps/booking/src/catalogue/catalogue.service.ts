import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { bookingSetupSchema } from '@receptionist/contracts';
import { PermanentMessageError } from '@receptionist/messaging';
import { BookingFailure } from '../common/booking-failure';
import { addDays, isTimeZone, localDate, localToInstant } from '../common/zoned-time';
import { closedDay } from '../availability/booking-rules';
import { BookingCompanyEntity, BranchHoursEntity, ServiceEntity, StaffEntity, StaffServiceEntity } from './catalogue.entities';
import { CatalogueRepository } from './catalogue.repository';

export type BookingSetup = z.output<typeof bookingSetupSchema>;
export type ApplyOutcome = 'applied' | 'unchanged';

export interface BookingContext {
  company: BookingCompanyEntity;
  service: ServiceEntity;
  staff: StaffEntity | null;
}

/** What voice-agent and the portal see of a company's catalogue (`catalogue.get`): active entries only. */
export interface CatalogueView {
  companyId: string;
  revision: string;
  timeZone: string;
  language: string;
  calcomTeamSlug: string | null;
  openingHours: BookingCompanyEntity['openingHours'];
  branches: { branchId: string; key: string; openingHours: BookingCompanyEntity['openingHours'] }[];
  policies: BookingCompanyEntity['policies'];
  services: {
    serviceId: string;
    key: string;
    name: string;
    aliases: string[];
    durationMinutes: number;
    priceMinor: number | null;
    calcomEventTypeId: number;
    staffIds: string[];
    /** A composite service's steps in order (absent for an ordinary one). */
    steps?: { serviceId: string; name: string; durationMinutes: number; staffIds: string[] }[];
  }[];
  staff: { staffId: string; key: string; name: string; serviceIds: string[] }[];
  /** Local dates within the booking horizon closed by a closure or a public holiday (the agent says "closed"). */
  closedDays: string[];
}

/** Local dates from today to the horizon (at most a year) that a closure or a public holiday closes. */
function closedDaysAhead(company: BookingCompanyEntity, now = Date.now()): string[] {
  if (!company.closures?.length && !company.holidayRegion) return [];
  const days: string[] = [];
  const horizon = Math.min(366, company.policies.bookingHorizonDays ?? 60);
  for (let i = 0, day = localDate(now, company.timeZone); i <= horizon; i++, day = addDays(day, 1)) {
    if (closedDay(company, localToInstant(day, 12 * 60, company.timeZone))) days.push(day);
  }
  return days;
}

@Injectable()
export class CatalogueService {
  constructor(private readonly repo: CatalogueRepository) {}

  /**
   * Checks what the schema cannot (keys unique, staff refer to services of the document, a real time zone)
   * before anything is written, so a bad document changes nothing. Throws PermanentMessageError (→ DLQ).
   */
  validate(doc: BookingSetup): void {
    const problems: string[] = [];
    if (!isTimeZone(doc.timeZone)) problems.push(`timeZone: unknown IANA time zone '${doc.timeZone}'`);
    const dup = (items: { key: string }[], field: string) => {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        if (seen.has(it.key)) problems.push(`${field}[${i}].key: duplicate key '${it.key}'`);
        seen.add(it.key);
      });
    };
    dup(doc.services, 'services');
    dup(doc.staff, 'staff');
    dup(doc.branches, 'branches');
    const serviceKeys = new Set(doc.services.map((s) => s.key));
    doc.staff.forEach((s, i) =>
      s.serviceKeys.forEach((k, j) => {
        if (!serviceKeys.has(k)) problems.push(`staff[${i}].serviceKeys[${j}]: no service with key '${k}' in this document`);
      }),
    );
    const byKey = new Map(doc.services.map((sv) => [sv.key, sv]));
    const staffKeys = new Set(doc.staff.map((st) => st.key));
    doc.services.forEach((sv, i) =>
      (sv.steps ?? []).forEach((step, j) => {
        const target = byKey.get(step.serviceKey);
        if (!target) problems.push(`services[${i}].steps[${j}].serviceKey: no service with key '${step.serviceKey}' in this document`);
        else if (target.steps?.length) problems.push(`services[${i}].steps[${j}].serviceKey: '${step.serviceKey}' has steps itself`);
        step.staffKeys.forEach((k, n) => {
          if (!staffKeys.has(k)) problems.push(`services[${i}].steps[${j}].staffKeys[${n}]: no staff member with key '${k}' in this document`);
        });
      }),
    );
    const hours = (h: BookingSetup['openingHours'], field: string) => {
      for (const [day, ranges] of Object.entries(h)) {
        (ranges ?? []).forEach(([from, to], i) => {
          if (from >= to) problems.push(`${field}.${day}[${i}]: opening ${from} must be before closing ${to}`);
        });
      }
    };
    hours(doc.openingHours, 'openingHours');
    doc.staff.forEach((s, i) => s.workingHours && hours(s.workingHours, `staff[${i}].workingHours`));
    (doc.closures ?? []).forEach((c, i) => {
      if (c.from > c.to) problems.push(`closures[${i}].from: ${c.from} is after ${c.to}`);
    });
    doc.branches.forEach((b, i) => hours(b.openingHours, `branches[${i}].openingHours`));
    if (problems.length) throw new PermanentMessageError(`invalid booking set-up: ${problems.join('; ')}`, 'invalid_setup');
  }

  /**
   * Applies the booking part of a company's set-up inside the caller's transaction: upsert by (company, key),
   * deactivate what the document no longer lists (never delete: appointments refer to services and staff),
   * replace staff↔service links and branch hours. The same revision again changes nothing.
   */
  async apply(manager: EntityManager, doc: BookingSetup, now = new Date()): Promise<ApplyOutcome> {
    const companyId = doc.companyId;
    const existing = await this.repo.lockCompany(companyId, manager);
    if (existing?.revision === doc.revision) return 'unchanged';

    await manager.getRepository(BookingCompanyEntity).save({
      companyId,
      timeZone: doc.timeZone,
      language: doc.language,
      calcomTeamSlug: doc.calcomTeamSlug,
      openingHours: doc.openingHours,
      policies: doc.policies,
      closures: doc.closures?.length ? doc.closures : null,
      holidayRegion: doc.holidays ? `${doc.holidays.country}-${doc.holidays.state}` : null,
      revision: doc.revision,
      appliedAt: now,
      createdAt: existing?.createdAt ?? now,
    });

    const serviceIds = await this.upsertByKey(manager, ServiceEntity, companyId, doc.services, now, (s) => ({
      name: s.name,
      aliases: s.aliases,
      calcomEventTypeId: s.calcomEventTypeId,
      durationMinutes: s.durationMinutes,
      priceMinor: s.priceMinor,
      active: s.active,
      policies: s.policies && Object.keys(s.policies).length ? s.policies : null,
    }));
    const staffIds = await this.upsertByKey(manager, StaffEntity, companyId, doc.staff, now, (s) => ({
      name: s.name,
      calcomUserId: s.calcomUserId,
      active: s.active,
      workingHours: s.workingHours ?? null,
    }));

    // Steps name services and staff by key; stored by id once both are upserted.
    for (const sv of doc.services) {
      const steps = sv.steps?.length ? sv.steps.map((st) => ({ serviceId: serviceIds.get(st.serviceKey)!, staffIds: st.staffKeys.map((k) => staffIds.get(k)!) })) : null;
      await manager.getRepository(ServiceEntity).update({ id: serviceIds.get(sv.key)!, companyId }, { steps });
    }

    await manager.getRepository(StaffServiceEntity).delete({ companyId });
    const links = doc.staff.flatMap((s) => s.serviceKeys.map((k) => ({ companyId, staffId: staffIds.get(s.key)!, serviceId: serviceIds.get(k)! })));
    if (links.length) await manager.getRepository(StaffServiceEntity).insert(links);

    await manager.getRepository(BranchHoursEntity).delete({ companyId });
    if (doc.branches.length) {
      await manager
        .getRepository(BranchHoursEntity)
        .insert(doc.branches.map((b) => ({ companyId, branchId: b.branchId, key: b.key, openingHours: b.openingHours, updatedAt: now })));
    }
    return 'applied';
  }

  private async upsertByKey<E extends ServiceEntity | StaffEntity, I extends { key: string }>(
    manager: EntityManager,
    entity: new () => E,
    companyId: string,
    items: I[],
    now: Date,
    fields: (item: I) => Partial<E>,
  ): Promise<Map<string, string>> {
    const repo = manager.getRepository<ServiceEntity | StaffEntity>(entity);
    const current = new Map((await repo.findBy({ companyId })).map((row) => [row.key, row]));
    const ids = new Map<string, string>();
    for (const item of items) {
      const row = current.get(item.key);
      if (row) {
        await repo.update({ id: row.id, companyId }, { ...fields(item), updatedAt: now } as never);
        ids.set(item.key, row.id);
        current.delete(item.key);
      } else {
        const id = randomUUID();
        await repo.insert({ id, companyId, key: item.key, ...fields(item), createdAt: now, updatedAt: now } as never);
        ids.set(item.key, id);
      }
    }
    for (const gone of current.values()) {
      if (gone.active) await repo.update({ id: gone.id, companyId }, { active: false, updatedAt: now } as never);
    }
    return ids;
  }

  /** The company's booking set-up, or `not_found` when it has none (onboarding did not reach booking yet). */
  async requireCompany(companyId: string): Promise<BookingCompanyEntity> {
    const company = await this.repo.findCompany(companyId);
    if (!company) throw new BookingFailure('not_found', `companyId: company ${companyId} has no booking set-up`);
    return company;
  }

  /** An active service (by id or key) and, if asked for, an active staff member who performs it. */
  async requireBookable(companyId: string, serviceId: string, staffId: string | null): Promise<BookingContext> {
    const company = await this.requireCompany(companyId);
    const service = await this.repo.findService(companyId, serviceId);
    if (!service || !service.active) throw new BookingFailure('unknown_service', `serviceId: no active service '${serviceId}'`);
    let staff: StaffEntity | null = null;
    if (staffId) {
      staff = await this.repo.findStaff(companyId, staffId);
      if (!staff || !staff.active) throw new BookingFailure('unknown_staff', `staffId: no active staff member '${staffId}'`);
      // A composite service: anyone who may do one of its steps.
      const steps = service.steps ?? [];
      const performsStep = async () => {
        for (const st of steps) if (st.staffIds.includes(staff!.id) || (!st.staffIds.length && (await this.repo.staffPerforms(companyId, staff!.id, st.serviceId)))) return true;
        return false;
      };
      if (!(await this.repo.staffPerforms(companyId, staff.id, service.id)) && !(await performsStep())) {
        throw new BookingFailure('unknown_staff', `staffId: ${staff.name} does not perform ${service.name}`);
      }
    }
    return { company, service, staff };
  }

  async get(companyId: string): Promise<CatalogueView> {
    const company = await this.repo.findCompany(companyId);
    if (!company) throw new BookingFailure('not_found', `company ${companyId} has no booking set-up`);
    const [services, staff, links, branches] = await Promise.all([
      this.repo.listServices(companyId, { activeOnly: true }),
      this.repo.listStaff(companyId, { activeOnly: true }),
      this.repo.listStaffServices(companyId),
      this.repo.listBranchHours(companyId),
    ]);
    const activeStaff = new Set(staff.map((s) => s.id));
    const activeServices = new Set(services.map((s) => s.id));
    return {
      companyId,
      revision: company.revision,
      timeZone: company.timeZone,
      language: company.language,
      calcomTeamSlug: company.calcomTeamSlug,
      openingHours: company.openingHours,
      branches: branches.map((b) => ({ branchId: b.branchId, key: b.key, openingHours: b.openingHours })),
      policies: company.policies,
      closedDays: closedDaysAhead(company),
      services: services.map((s) => ({
        serviceId: s.id,
        key: s.key,
        name: s.name,
        aliases: s.aliases,
        durationMinutes: s.durationMinutes,
        priceMinor: s.priceMinor,
        calcomEventTypeId: s.calcomEventTypeId,
        staffIds: links.filter((l) => l.serviceId === s.id && activeStaff.has(l.staffId)).map((l) => l.staffId),
        ...(s.steps?.length
          ? {
              steps: s.steps.map((st) => {
                const step = services.find((x) => x.id === st.serviceId);
                const who = st.staffIds.length ? st.staffIds : links.filter((l) => l.serviceId === st.serviceId).map((l) => l.staffId);
                return { serviceId: st.serviceId, name: step?.name ?? '', durationMinutes: step?.durationMinutes ?? 0, staffIds: who.filter((id) => activeStaff.has(id)) };
              }),
            }
          : {}),
      })),
      staff: staff.map((s) => ({
        staffId: s.id,
        key: s.key,
        name: s.name,
        serviceIds: links.filter((l) => l.staffId === s.id && activeServices.has(l.serviceId)).map((l) => l.serviceId),
      })),
    };
  }
}
