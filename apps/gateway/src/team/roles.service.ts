import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { COMPANY_ROLES, SEED_ROLE_PERMISSIONS } from '../auth/permissions';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy, diff } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CompaniesRepository } from '../companies/companies.repository';
import { isDuplicateKey, UUID_RE } from '../common/zod-body';
import { UserEntity } from '../identity/entities';
import { RolesRepository } from '../identity/roles.repository';
import { TokenCache } from '../identity/token-cache';
import { assertMayAssign } from '../identity/users.service';
import type { CreateRoleDto, UpdateRoleDto } from './dto';
import { CompanyRoleEntity } from './entities';

export const customRoleView = (r: CompanyRoleEntity, holders: number) => ({
  id: r.id,
  name: r.name,
  builtIn: false,
  abilities: [...r.abilities].sort(),
  users: holders,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const nameTaken = () => new ConflictException({ statusCode: 409, message: 'name: a role of this company already has this name', field: 'name', fields: [{ field: 'name', message: 'already taken' }] });

/**
 * A company's roles: the four built-in ones (owner, admin, staff, read-only; fixed) and custom roles built from
 * the abilities a company role may hold. Whoever builds or changes a custom role must hold every ability they put
 * in it, so a role is never a way up. Removing abilities binds the role's holders on their next request (the
 * token guard reads the role with the token); added ones come with their next sign-in.
 */
@Injectable()
export class CompanyRolesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly companies: CompaniesRepository,
    private readonly roles: RolesRepository,
    private readonly audit: AuditService,
    private readonly tokenCache: TokenCache,
  ) {}

  private async companyId(actor: Actor, companyId: string): Promise<string> {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    return company.id;
  }

  private assertHolds(actor: Actor, abilities: string[]) {
    const missing = actor.principal.role === 'platform_admin' ? [] : abilities.filter((a) => !actor.principal.abilities.includes(a));
    if (missing.length) {
      throw new ForbiddenException({ statusCode: 403, message: `abilities: you do not hold ${missing.join(', ')}`, field: 'abilities', fields: [{ field: 'abilities', message: `you do not hold ${missing.join(', ')}` }] });
    }
  }

  private async find(actor: Actor, companyId: string, roleId: string): Promise<CompanyRoleEntity> {
    const id = await this.companyId(actor, companyId);
    const role = UUID_RE.test(roleId) ? await this.dataSource.getRepository(CompanyRoleEntity).findOneBy({ id: roleId.toLowerCase(), companyId: id }) : null;
    if (!role) throw new NotFoundException();
    return role;
  }

  private async holders(roleIds: string[]): Promise<Map<string, number>> {
    if (!roleIds.length) return new Map();
    const rows: { id: string; n: string | number }[] = await this.dataSource.query(
      `SELECT custom_role_id AS id, COUNT(*) AS n FROM app_user WHERE custom_role_id IN (${roleIds.map(() => '?').join(',')}) GROUP BY custom_role_id`,
      roleIds,
    );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  async list(actor: Actor, companyId: string) {
    const id = await this.companyId(actor, companyId);
    const builtIn = await Promise.all(
      COMPANY_ROLES.map(async (name) => ({ id: name, name, builtIn: true, abilities: [...(await this.roles.permissionsOf(name))].sort(), users: null, createdAt: null, updatedAt: null })),
    );
    const custom = await this.dataSource.getRepository(CompanyRoleEntity).find({ where: { companyId: id }, order: { name: 'ASC' } });
    const counts = await this.holders(custom.map((r) => r.id));
    return [...builtIn, ...custom.map((r) => customRoleView(r, counts.get(r.id) ?? 0))];
  }

  async get(actor: Actor, companyId: string, roleId: string) {
    const role = await this.find(actor, companyId, roleId);
    return customRoleView(role, (await this.holders([role.id])).get(role.id) ?? 0);
  }

  async create(actor: Actor, companyId: string, dto: CreateRoleDto) {
    const id = await this.companyId(actor, companyId);
    assertMayAssign(actor, 'company_custom');
    this.assertHolds(actor, dto.abilities);
    const now = new Date();
    const role = Object.assign(new CompanyRoleEntity(), { id: randomUUID(), companyId: id, name: dto.name, abilities: dto.abilities, createdAt: now, updatedAt: now });
    try {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(CompanyRoleEntity).insert(role);
        await this.audit.record({ ...auditBy(actor), action: 'role.created', companyId: id, targetType: 'role', targetId: role.id, changes: { name: role.name, abilities: role.abilities } }, m);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw nameTaken();
      throw error;
    }
    return customRoleView(role, 0);
  }

  async update(actor: Actor, companyId: string, roleId: string, dto: UpdateRoleDto) {
    const role = await this.find(actor, companyId, roleId);
    assertMayAssign(actor, 'company_custom');
    // Both the old and the new abilities: nobody reshapes a role that reaches beyond their own.
    if (dto.abilities) this.assertHolds(actor, [...new Set([...role.abilities, ...dto.abilities])]);
    const patch: Partial<CompanyRoleEntity> = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.abilities !== undefined) patch.abilities = dto.abilities;
    const changes = diff(role, patch);
    if (Object.keys(changes).length === 0) return this.get(actor, companyId, roleId);
    patch.updatedAt = new Date();
    try {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(CompanyRoleEntity).update({ id: role.id }, patch);
        await this.audit.record({ ...auditBy(actor), action: 'role.updated', companyId: role.companyId, targetType: 'role', targetId: role.id, changes }, m);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw nameTaken();
      throw error;
    }
    // The holders' cached tokens carry the old abilities: every instance drops its cache.
    if (changes.abilities) await this.tokenCache.revoked({ all: true });
    return this.get(actor, companyId, roleId);
  }

  /** 409 while users hold the role: give them another role first (nobody is left without one). */
  async remove(actor: Actor, companyId: string, roleId: string): Promise<void> {
    const role = await this.find(actor, companyId, roleId);
    assertMayAssign(actor, 'company_custom');
    this.assertHolds(actor, role.abilities);
    await this.dataSource.transaction(async (m) => {
      const holders = await m.getRepository(UserEntity).countBy({ customRoleId: role.id });
      if (holders > 0) {
        throw new ConflictException({ statusCode: 409, message: `role: ${holders} user(s) hold this role; give them another role first`, field: 'role' });
      }
      await m.getRepository(CompanyRoleEntity).delete({ id: role.id });
      await this.audit.record({ ...auditBy(actor), action: 'role.deleted', companyId: role.companyId, targetType: 'role', targetId: role.id, changes: { name: role.name } }, m);
    });
  }
}

/** For documentation and tests: what each built-in company role holds by default. */
export const BUILT_IN_ROLE_ABILITIES = Object.fromEntries(COMPANY_ROLES.map((r) => [r, SEED_ROLE_PERMISSIONS[r]]));
