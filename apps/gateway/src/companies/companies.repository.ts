import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, FindOptionsWhere, ObjectLiteral, EntityTarget } from 'typeorm';
import { inScope, TenantScope } from '../auth/principal';
import { UUID_RE } from '../common/zod-body';
import { BranchEntity, CompanyEntity, PhoneNumberEntity, RetellAgentEntity } from './entities';
import { normalisePhoneNumber } from './dto';

/**
 * Every company-owned read and write goes through here with the caller's tenant scope: a record of another
 * company is not found, exactly like a record that does not exist.
 */
@Injectable()
export class CompaniesRepository {
  constructor(private readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async findCompany(scope: TenantScope, id: string, manager = this.manager): Promise<CompanyEntity | null> {
    if (!UUID_RE.test(id) || !inScope(scope, id.toLowerCase())) return null;
    return manager.getRepository(CompanyEntity).findOneBy({ id: id.toLowerCase() });
  }

  listCompanies(scope: TenantScope): Promise<CompanyEntity[]> {
    const repo = this.manager.getRepository(CompanyEntity);
    return scope.all ? repo.find({ order: { name: 'ASC', id: 'ASC' } }) : repo.find({ where: { id: scope.companyId } });
  }

  /** Children of one company: the company must be in scope and the record must belong to it. */
  private async findOwned<E extends ObjectLiteral & { companyId: string }>(
    entity: EntityTarget<E>,
    scope: TenantScope,
    companyId: string,
    id: string,
    manager = this.manager,
  ): Promise<E | null> {
    if (!UUID_RE.test(id) || !UUID_RE.test(companyId) || !inScope(scope, companyId.toLowerCase())) return null;
    return manager.getRepository(entity).findOneBy({ id: id.toLowerCase(), companyId: companyId.toLowerCase() } as unknown as FindOptionsWhere<E>);
  }

  private listOwned<E extends ObjectLiteral & { companyId: string; createdAt: Date }>(entity: EntityTarget<E>, scope: TenantScope, companyId: string): Promise<E[]> {
    if (!inScope(scope, companyId)) return Promise.resolve([]);
    return this.manager.getRepository(entity).find({ where: { companyId } as unknown as FindOptionsWhere<E>, order: { createdAt: 'ASC' } as never });
  }

  findBranch(scope: TenantScope, companyId: string, id: string, manager = this.manager) {
    return this.findOwned(BranchEntity, scope, companyId, id, manager);
  }
  listBranches(scope: TenantScope, companyId: string) {
    return this.listOwned(BranchEntity, scope, companyId);
  }
  findPhoneNumber(scope: TenantScope, companyId: string, id: string) {
    return this.findOwned(PhoneNumberEntity, scope, companyId, id);
  }
  listPhoneNumbers(scope: TenantScope, companyId: string) {
    return this.listOwned(PhoneNumberEntity, scope, companyId);
  }
  findAgent(scope: TenantScope, companyId: string, id: string) {
    return this.findOwned(RetellAgentEntity, scope, companyId, id);
  }
  listAgents(scope: TenantScope, companyId: string) {
    return this.listOwned(RetellAgentEntity, scope, companyId);
  }

  // ---- routing (used by the voice functions and call webhooks; not tenant-scoped: this is how the tenant is found)

  /** The company (and branch) a Retell agent answers for, or null: never a fallback company. */
  async findCompanyByAgentId(agentId: string): Promise<{ company: CompanyEntity; branchId: string | null } | null> {
    if (!agentId) return null;
    const agent = await this.manager.getRepository(RetellAgentEntity).findOneBy({ agentId });
    if (!agent) return null;
    const company = await this.manager.getRepository(CompanyEntity).findOneBy({ id: agent.companyId });
    return company ? { company, branchId: agent.branchId } : null;
  }

  /** A company by id for routing (the legacy function secret's company), or null. */
  async findCompanyById(id: string): Promise<{ company: CompanyEntity; branchId: string | null } | null> {
    if (!UUID_RE.test(id)) return null;
    const company = await this.manager.getRepository(CompanyEntity).findOneBy({ id: id.toLowerCase() });
    return company ? { company, branchId: null } : null;
  }

  /** The company (and branch) owning a dialled number (normalised to E.164 first), or null. */
  async findCompanyByNumber(number: string): Promise<{ company: CompanyEntity; branchId: string | null } | null> {
    const e164 = normalisePhoneNumber(number ?? '');
    if (!e164) return null;
    const phone = await this.manager.getRepository(PhoneNumberEntity).findOneBy({ number: e164 });
    if (!phone) return null;
    const company = await this.manager.getRepository(CompanyEntity).findOneBy({ id: phone.companyId });
    return company ? { company, branchId: phone.branchId } : null;
  }
}
