import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import { inScope, TenantScope } from '../auth/principal';
import { UUID_RE } from '../common/zod-body';
import { PortalCustomerEntity, PortalInvitationEntity } from './entities';

/** Portal invitations and accounts; every admin read is scoped by the principal's company. */
@Injectable()
export class PortalRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get manager(): EntityManager {
    return this.dataSource.manager;
  }

  listInvitations(companyId: string): Promise<PortalInvitationEntity[]> {
    return this.manager.getRepository(PortalInvitationEntity).find({ where: { companyId }, order: { createdAt: 'DESC', id: 'ASC' }, take: 500 });
  }

  async findInvitation(scope: TenantScope, companyId: string, id: string, manager = this.manager, lock = false): Promise<PortalInvitationEntity | null> {
    if (!UUID_RE.test(id) || !UUID_RE.test(companyId) || !inScope(scope, companyId.toLowerCase())) return null;
    return manager.getRepository(PortalInvitationEntity).findOne({
      where: { id: id.toLowerCase(), companyId: companyId.toLowerCase() },
      ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}),
    });
  }

  listCustomers(companyId: string): Promise<PortalCustomerEntity[]> {
    return this.manager.getRepository(PortalCustomerEntity).find({ where: { companyId }, order: { createdAt: 'DESC', id: 'ASC' }, take: 500 });
  }

  async findCustomer(scope: TenantScope, companyId: string, id: string, manager = this.manager): Promise<PortalCustomerEntity | null> {
    if (!UUID_RE.test(id) || !UUID_RE.test(companyId) || !inScope(scope, companyId.toLowerCase())) return null;
    return manager.getRepository(PortalCustomerEntity).findOneBy({ id: id.toLowerCase(), companyId: companyId.toLowerCase() });
  }

  /** The account in this company already holding this phone or e-mail, if any. */
  findCustomerByContact(companyId: string, contact: { phone: string | null; email: string | null }, manager = this.manager): Promise<PortalCustomerEntity | null> {
    const where = [
      ...(contact.phone ? [{ companyId, phone: contact.phone }] : []),
      ...(contact.email ? [{ companyId, email: contact.email }] : []),
    ];
    return where.length ? manager.getRepository(PortalCustomerEntity).findOne({ where }) : Promise.resolve(null);
  }

  /** Sign-in candidates across companies (the same person may be a customer of several); a handful at most. */
  findSignInCandidates(by: { email: string } | { phone: string }, companyIds?: string[]): Promise<PortalCustomerEntity[]> {
    return this.manager.getRepository(PortalCustomerEntity).find({
      where: { ...by, ...(companyIds ? { companyId: In(companyIds) } : {}) },
      order: { createdAt: 'ASC' },
      take: 10,
    });
  }
}
