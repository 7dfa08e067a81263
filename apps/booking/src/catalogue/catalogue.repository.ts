import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { BookingCompanyEntity, BranchHoursEntity, ServiceEntity, StaffEntity, StaffServiceEntity } from './catalogue.entities';

/** Every read is scoped by company id: another company's service or staff member is simply not found. */
@Injectable()
export class CatalogueRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager) {
    return manager ?? this.dataSource.manager;
  }

  findCompany(companyId: string, manager?: EntityManager): Promise<BookingCompanyEntity | null> {
    return this.m(manager).getRepository(BookingCompanyEntity).findOneBy({ companyId });
  }

  /** Row lock on the company for the duration of the caller's transaction (set-up applies one at a time). */
  lockCompany(companyId: string, manager: EntityManager): Promise<BookingCompanyEntity | null> {
    return manager.getRepository(BookingCompanyEntity).createQueryBuilder('c').setLock('pessimistic_write').where('c.company_id = :companyId', { companyId }).getOne();
  }

  listServices(companyId: string, { activeOnly = false } = {}, manager?: EntityManager): Promise<ServiceEntity[]> {
    return this.m(manager)
      .getRepository(ServiceEntity)
      .find({ where: { companyId, ...(activeOnly ? { active: true } : {}) }, order: { name: 'ASC', key: 'ASC' } });
  }

  listStaff(companyId: string, { activeOnly = false } = {}, manager?: EntityManager): Promise<StaffEntity[]> {
    return this.m(manager)
      .getRepository(StaffEntity)
      .find({ where: { companyId, ...(activeOnly ? { active: true } : {}) }, order: { name: 'ASC', key: 'ASC' } });
  }

  listStaffServices(companyId: string, manager?: EntityManager): Promise<StaffServiceEntity[]> {
    return this.m(manager).getRepository(StaffServiceEntity).findBy({ companyId });
  }

  listBranchHours(companyId: string, manager?: EntityManager): Promise<BranchHoursEntity[]> {
    return this.m(manager).getRepository(BranchHoursEntity).find({ where: { companyId }, order: { key: 'ASC' } });
  }

  /** A service by our id or by the business's key. */
  async findService(companyId: string, idOrKey: string, manager?: EntityManager): Promise<ServiceEntity | null> {
    const repo = this.m(manager).getRepository(ServiceEntity);
    return (await repo.findOneBy({ companyId, id: idOrKey })) ?? repo.findOneBy({ companyId, key: idOrKey });
  }

  async findStaff(companyId: string, idOrKey: string, manager?: EntityManager): Promise<StaffEntity | null> {
    const repo = this.m(manager).getRepository(StaffEntity);
    return (await repo.findOneBy({ companyId, id: idOrKey })) ?? repo.findOneBy({ companyId, key: idOrKey });
  }

  async staffPerforms(companyId: string, staffId: string, serviceId: string): Promise<boolean> {
    return (await this.dataSource.manager.getRepository(StaffServiceEntity).countBy({ companyId, staffId, serviceId })) > 0;
  }

  /** Services of any company on one Cal.com event type (a change in Cal.com names the event type, not us). */
  findServicesByEventType(calcomEventTypeId: number): Promise<ServiceEntity[]> {
    return this.dataSource.manager.getRepository(ServiceEntity).findBy({ calcomEventTypeId });
  }

  findServicesByIds(companyId: string, ids: string[], manager?: EntityManager): Promise<ServiceEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.m(manager).getRepository(ServiceEntity).findBy({ companyId, id: In(ids) });
  }

  findStaffByIds(companyId: string, ids: string[], manager?: EntityManager): Promise<StaffEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.m(manager).getRepository(StaffEntity).findBy({ companyId, id: In(ids) });
  }
}
