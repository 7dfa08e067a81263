import { BadRequestException, ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { ASSIGNABLE_ROLES, Role } from '../auth/permissions';
import { hashPassword } from '../auth/password';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy, diff } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CompaniesRepository } from '../companies/companies.repository';
import { isDuplicateKey } from '../common/zod-body';
import type { CreateUserDto, UpdateUserDto } from './dto';
import { AccessTokenEntity, UserEntity } from './entities';
import { TokenCache } from './token-cache';
import { UsersRepository } from './users.repository';
import { AccessTokensService } from './access-tokens.service';
import { CompanyRoleEntity } from '../team/entities';

/** Company users are never platform admins; nobody hands out (or changes a holder of) a role above their own. */
export function assertMayAssign(actor: Actor, role: Role): void {
  if (role === 'platform_admin' || !ASSIGNABLE_ROLES[actor.principal.role].includes(role)) {
    throw new ForbiddenException({ statusCode: 403, message: `role: may not assign ${role}`, field: 'role', fields: [{ field: 'role', message: 'not assignable by you' }] });
  }
}

export const userView = (u: UserEntity) => ({
  id: u.id,
  companyId: u.companyId,
  email: u.email,
  name: u.name,
  role: u.role,
  customRoleId: u.customRoleId ?? null,
  disabled: !!u.disabledAt,
  createdAt: u.createdAt.toISOString(),
});

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly companies: CompaniesRepository,
    private readonly audit: AuditService,
    private readonly tokens: AccessTokensService,
    private readonly tokenCache: TokenCache,
  ) {}

  private assertMayAssign(actor: Actor, role: Role) {
    assertMayAssign(actor, role);
  }

  /** A custom role must be one of this company's; otherwise the field is invalid (400), as an unknown id would be. */
  private async assertCustomRole(m: EntityManager, companyId: string, customRoleId: string | null | undefined) {
    if (!customRoleId) return;
    if (!(await m.getRepository(CompanyRoleEntity).existsBy({ id: customRoleId, companyId }))) {
      throw new BadRequestException({ statusCode: 400, message: 'customRoleId: no such role in this company', field: 'customRoleId', fields: [{ field: 'customRoleId', message: 'no such role in this company' }] });
    }
  }

  async list(actor: Actor, companyId: string) {
    const scope = tenantScope(actor.principal);
    if (!(await this.companies.findCompany(scope, companyId))) throw new NotFoundException();
    return this.users.listInCompany(scope, companyId.toLowerCase());
  }

  async get(actor: Actor, companyId: string, userId: string) {
    const user = await this.users.findInCompany(tenantScope(actor.principal), companyId, userId);
    if (!user) throw new NotFoundException();
    return user;
  }

  async create(actor: Actor, companyId: string, dto: CreateUserDto): Promise<UserEntity> {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    this.assertMayAssign(actor, dto.role);
    const now = new Date();
    const user = Object.assign(new UserEntity(), {
      id: randomUUID(),
      companyId: company.id,
      email: dto.email,
      name: dto.name,
      passwordHash: await hashPassword(dto.password),
      role: dto.role,
      customRoleId: dto.customRoleId,
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.dataSource.transaction(async (m) => {
        await this.assertCustomRole(m, company.id, user.customRoleId);
        await m.getRepository(UserEntity).insert(user);
        await this.audit.record({ ...auditBy(actor), action: 'user.created', companyId: company.id, targetType: 'user', targetId: user.id, changes: { email: user.email, role: user.role, customRoleId: user.customRoleId } }, m);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw new ConflictException({ statusCode: 409, message: 'email: already registered', field: 'email', fields: [{ field: 'email', message: 'already registered' }] });
      throw error;
    }
    return user;
  }

  async update(actor: Actor, companyId: string, userId: string, dto: UpdateUserDto): Promise<UserEntity> {
    if (dto.role) this.assertMayAssign(actor, dto.role);
    const passwordHash = dto.password ? await hashPassword(dto.password) : undefined;
    // A new role, password or a disabled account changes what the user's tokens may do: cached ones are dropped.
    let credentialsChanged = false;
    const updated = await this.dataSource.transaction(async (m) => {
      const user = await this.users.findInCompany(tenantScope(actor.principal), companyId, userId, m);
      if (!user) throw new NotFoundException();
      // Only someone who may hand out the user's current role changes them (an admin never touches an owner).
      if (actor.principal.role !== 'platform_admin' && user.id !== actor.principal.userId) this.assertMayAssign(actor, user.role);
      await this.assertCustomRole(m, user.companyId ?? '', dto.customRoleId);
      const patch: Partial<UserEntity> = {};
      if (dto.name !== undefined) patch.name = dto.name;
      if (dto.role !== undefined) patch.role = dto.role;
      if (dto.customRoleId !== undefined) patch.customRoleId = dto.customRoleId;
      if (dto.disabled !== undefined) patch.disabledAt = dto.disabled ? (user.disabledAt ?? new Date()) : null;
      const changes: Record<string, unknown> = diff(user, patch);
      if (passwordHash) {
        patch.passwordHash = passwordHash;
        changes.password = 'changed';
      }
      if (Object.keys(changes).length === 0) return user;
      credentialsChanged = 'role' in changes || 'customRoleId' in changes || 'disabledAt' in changes || !!passwordHash;
      patch.updatedAt = new Date();
      await m.getRepository(UserEntity).update({ id: user.id }, patch);
      const roleChanged = Boolean(changes.role || changes.customRoleId);
      if (patch.disabledAt) await m.getRepository(AccessTokenEntity).update({ userId: user.id, revokedAt: null as never }, { revokedAt: new Date() });
      // A new role, like a new password, ends the sessions opened under the old one; the caller keeps theirs when
      // it is their own change.
      else if (passwordHash || roleChanged) changes.tokensRevoked = await this.tokens.revokeAllOf(m, user.id, actor.principal.tokenId);
      const by = { ...auditBy(actor), companyId: user.companyId, targetType: 'user', targetId: user.id };
      if (roleChanged) await this.audit.record({ ...by, action: 'user.role_changed', changes: { role: changes.role ?? { from: user.role, to: user.role }, customRoleId: changes.customRoleId ?? null, tokensRevoked: changes.tokensRevoked } }, m);
      const rest = Object.fromEntries(Object.entries(changes).filter(([k]) => k !== 'role' && k !== 'customRoleId'));
      if (Object.keys(rest).length) await this.audit.record({ ...by, action: 'user.updated', changes: rest }, m);
      return Object.assign(user, patch);
    });
    if (credentialsChanged) await this.tokenCache.revoked({ userId: updated.id });
    return updated;
  }
}
