import { ConflictException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy, diff } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/zod-body';
import { CompaniesRepository } from './companies.repository';
import type { CreateAgentDto, CreateBranchDto, CreateCompanyDto, CreatePhoneNumberDto, UpdateBranchDto, UpdateCompanyDto } from './dto';
import { BranchEntity, CompanyEntity, PhoneNumberEntity, RetellAgentEntity } from './entities';

export const companyView = (c: CompanyEntity) => ({
  id: c.id,
  name: c.name,
  timeZone: c.timeZone,
  language: c.language,
  currency: c.currency,
  settings: c.settings,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
export const branchView = (b: BranchEntity) => ({
  id: b.id,
  companyId: b.companyId,
  name: b.name,
  timeZone: b.timeZone,
  address: b.address,
  active: b.active,
  createdAt: b.createdAt.toISOString(),
});
export const phoneNumberView = (p: PhoneNumberEntity) => ({ id: p.id, companyId: p.companyId, branchId: p.branchId, number: p.number, label: p.label, createdAt: p.createdAt.toISOString() });
export const agentView = (a: RetellAgentEntity) => ({ id: a.id, companyId: a.companyId, branchId: a.branchId, agentId: a.agentId, label: a.label, createdAt: a.createdAt.toISOString() });

@Injectable()
export class CompaniesService {
  constructor(
    private readonly repo: CompaniesRepository,
    private readonly audit: AuditService,
  ) {}

  private async company(actor: Actor, companyId: string): Promise<CompanyEntity> {
    const company = await this.repo.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    return company;
  }

  async create(actor: Actor, dto: CreateCompanyDto): Promise<CompanyEntity> {
    const now = new Date();
    const company = Object.assign(new CompanyEntity(), { id: randomUUID(), ...dto, createdAt: now, updatedAt: now });
    await this.repo.transaction(async (m) => {
      await m.getRepository(CompanyEntity).insert(company as never);
      await this.audit.record({ ...auditBy(actor), action: 'company.created', companyId: company.id, targetType: 'company', targetId: company.id, changes: { ...dto } }, m);
    });
    return company;
  }

  list(actor: Actor) {
    return this.repo.listCompanies(tenantScope(actor.principal));
  }

  get(actor: Actor, companyId: string) {
    return this.company(actor, companyId);
  }

  async update(actor: Actor, companyId: string, dto: UpdateCompanyDto): Promise<CompanyEntity> {
    return this.repo.transaction(async (m) => {
      const company = await this.repo.findCompany(tenantScope(actor.principal), companyId, m);
      if (!company) throw new NotFoundException();
      const changes = diff(company, dto);
      if (Object.keys(changes).length === 0) return company;
      Object.assign(company, dto, { updatedAt: new Date() });
      await m.getRepository(CompanyEntity).update({ id: company.id }, { ...dto, updatedAt: company.updatedAt } as never);
      await this.audit.record({ ...auditBy(actor), action: changes.settings ? 'company.settings_changed' : 'company.updated', companyId: company.id, targetType: 'company', targetId: company.id, changes }, m);
      return company;
    });
  }

  // ---- branches

  async listBranches(actor: Actor, companyId: string) {
    const company = await this.company(actor, companyId);
    return this.repo.listBranches(tenantScope(actor.principal), company.id);
  }

  async getBranch(actor: Actor, companyId: string, branchId: string) {
    const branch = await this.repo.findBranch(tenantScope(actor.principal), companyId, branchId);
    if (!branch) throw new NotFoundException();
    return branch;
  }

  async createBranch(actor: Actor, companyId: string, dto: CreateBranchDto) {
    const company = await this.company(actor, companyId);
    const now = new Date();
    const branch = Object.assign(new BranchEntity(), {
      id: randomUUID(),
      companyId: company.id,
      name: dto.name,
      timeZone: dto.timeZone ?? null,
      address: dto.address ?? null,
      active: dto.active,
      createdAt: now,
      updatedAt: now,
    });
    await this.repo.transaction(async (m) => {
      await m.getRepository(BranchEntity).insert(branch);
      await this.audit.record({ ...auditBy(actor), action: 'branch.created', companyId: company.id, targetType: 'branch', targetId: branch.id, changes: { ...dto } }, m);
    });
    return branch;
  }

  async updateBranch(actor: Actor, companyId: string, branchId: string, dto: UpdateBranchDto) {
    return this.repo.transaction(async (m) => {
      const branch = await this.repo.findBranch(tenantScope(actor.principal), companyId, branchId, m);
      if (!branch) throw new NotFoundException();
      const changes = diff(branch, dto);
      if (Object.keys(changes).length === 0) return branch;
      Object.assign(branch, dto, { updatedAt: new Date() });
      await m.getRepository(BranchEntity).update({ id: branch.id }, { ...dto, updatedAt: branch.updatedAt } as never);
      await this.audit.record({ ...auditBy(actor), action: 'branch.updated', companyId: branch.companyId, targetType: 'branch', targetId: branch.id, changes }, m);
      return branch;
    });
  }

  async deleteBranch(actor: Actor, companyId: string, branchId: string) {
    const branch = await this.getBranch(actor, companyId, branchId);
    await this.repo.transaction(async (m) => {
      await m.getRepository(PhoneNumberEntity).update({ branchId: branch.id }, { branchId: null });
      await m.getRepository(RetellAgentEntity).update({ branchId: branch.id }, { branchId: null });
      await m.getRepository(BranchEntity).delete({ id: branch.id, companyId: branch.companyId });
      await this.audit.record({ ...auditBy(actor), action: 'branch.deleted', companyId: branch.companyId, targetType: 'branch', targetId: branch.id }, m);
    });
  }

  // ---- routing: phone numbers and Retell agents

  private async ownBranch(actor: Actor, companyId: string, branchId: string | undefined): Promise<string | null> {
    if (!branchId) return null;
    const branch = await this.repo.findBranch(tenantScope(actor.principal), companyId, branchId);
    if (!branch) throw new UnprocessableEntityException({ statusCode: 422, message: 'branchId: no such branch in this company', field: 'branchId', fields: [{ field: 'branchId', message: 'no such branch in this company' }] });
    return branch.id;
  }

  async listPhoneNumbers(actor: Actor, companyId: string) {
    const company = await this.company(actor, companyId);
    return this.repo.listPhoneNumbers(tenantScope(actor.principal), company.id);
  }

  async addPhoneNumber(actor: Actor, companyId: string, dto: CreatePhoneNumberDto) {
    const company = await this.company(actor, companyId);
    const branchId = await this.ownBranch(actor, company.id, dto.branchId);
    const phone = Object.assign(new PhoneNumberEntity(), { id: randomUUID(), companyId: company.id, branchId, number: dto.number, label: dto.label ?? null, createdAt: new Date() });
    try {
      await this.repo.transaction(async (m) => {
        await m.getRepository(PhoneNumberEntity).insert(phone);
        await this.audit.record({ ...auditBy(actor), action: 'phone_number.added', companyId: company.id, targetType: 'phone_number', targetId: phone.id, changes: { number: phone.number, branchId } }, m);
      });
    } catch (error) {
      // Unique across the platform; the answer does not say which company has it.
      if (isDuplicateKey(error)) throw new ConflictException({ statusCode: 409, message: 'number: already in use', field: 'number', fields: [{ field: 'number', message: 'already in use' }] });
      throw error;
    }
    return phone;
  }

  async removePhoneNumber(actor: Actor, companyId: string, id: string) {
    const phone = await this.repo.findPhoneNumber(tenantScope(actor.principal), companyId, id);
    if (!phone) throw new NotFoundException();
    await this.repo.transaction(async (m) => {
      await m.getRepository(PhoneNumberEntity).delete({ id: phone.id, companyId: phone.companyId });
      await this.audit.record({ ...auditBy(actor), action: 'phone_number.removed', companyId: phone.companyId, targetType: 'phone_number', targetId: phone.id, changes: { number: phone.number } }, m);
    });
  }

  async listAgents(actor: Actor, companyId: string) {
    const company = await this.company(actor, companyId);
    return this.repo.listAgents(tenantScope(actor.principal), company.id);
  }

  async addAgent(actor: Actor, companyId: string, dto: CreateAgentDto) {
    const company = await this.company(actor, companyId);
    const branchId = await this.ownBranch(actor, company.id, dto.branchId);
    const agent = Object.assign(new RetellAgentEntity(), { id: randomUUID(), companyId: company.id, branchId, agentId: dto.agentId, label: dto.label ?? null, createdAt: new Date() });
    try {
      await this.repo.transaction(async (m) => {
        await m.getRepository(RetellAgentEntity).insert(agent);
        await this.audit.record({ ...auditBy(actor), action: 'agent.added', companyId: company.id, targetType: 'retell_agent', targetId: agent.id, changes: { agentId: agent.agentId, branchId } }, m);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictException({ statusCode: 409, message: 'agentId: already in use', field: 'agentId', fields: [{ field: 'agentId', message: 'already in use' }] });
      throw error;
    }
    return agent;
  }

  async removeAgent(actor: Actor, companyId: string, id: string) {
    const agent = await this.repo.findAgent(tenantScope(actor.principal), companyId, id);
    if (!agent) throw new NotFoundException();
    await this.repo.transaction(async (m) => {
      await m.getRepository(RetellAgentEntity).delete({ id: agent.id, companyId: agent.companyId });
      await this.audit.record({ ...auditBy(actor), action: 'agent.removed', companyId: agent.companyId, targetType: 'retell_agent', targetId: agent.id, changes: { agentId: agent.agentId } }, m);
    });
  }
}
