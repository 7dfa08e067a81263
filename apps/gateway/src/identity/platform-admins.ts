import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { hashPassword } from '../auth/password';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/zod-body';
import { AccessTokenEntity, UserEntity } from './entities';

export type EnsureOutcome = { outcome: 'created' | 'reset'; userId: string; tokensRevoked: number };

/** Thrown when the e-mail belongs to a company user: an operator command must not silently promote a tenant's user. */
export class NotAPlatformAdminError extends Error {}

/**
 * Platform admins created by operators rather than through the API: the first one at start-up
 * (PLATFORM_ADMIN_EMAIL/PASSWORD, `PlatformAdminBootstrap`) and `admin:create` on any deployment. The password is
 * hashed as every password is (auth/password.ts) and each change is audited with the row it describes.
 */
@Injectable()
export class PlatformAdmins {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Creates the admin only while no active platform admin exists. */
  async createFirst(email: string, password: string): Promise<{ userId: string } | 'admin exists' | 'email taken'> {
    if ((await this.dataSource.getRepository(UserEntity).count({ where: { role: 'platform_admin', disabledAt: IsNull() } })) > 0) return 'admin exists';
    const user = await this.newAdmin(email, password);
    try {
      await this.dataSource.transaction((m) => this.insert(m, user, 'user.bootstrapped'));
      return { userId: user.id };
    } catch (error) {
      // two instances starting together: the unique e-mail settles it
      if (isDuplicateKey(error)) return 'email taken';
      throw error;
    }
  }

  /**
   * Creates the platform admin, or resets the password of an existing one (enabling it again): every token the
   * old password opened is revoked, whoever holds one keeps nothing.
   */
  async createOrReset(email: string, password: string): Promise<EnsureOutcome> {
    const normalized = email.trim().toLowerCase();
    const passwordHash = await hashPassword(password);
    return this.dataSource.transaction(async (m) => {
      const users = m.getRepository(UserEntity);
      const existing = await users.findOne({ where: { email: normalized }, lock: { mode: 'pessimistic_write' } });
      if (!existing) {
        const user = await this.newAdmin(normalized, password, passwordHash);
        await this.insert(m, user, 'user.created_by_operator');
        return { outcome: 'created', userId: user.id, tokensRevoked: 0 } as const;
      }
      if (existing.role !== 'platform_admin' || existing.companyId !== null) {
        throw new NotAPlatformAdminError(`${normalized} belongs to a company user (role ${existing.role}); not changed`);
      }
      const now = new Date();
      await users.update({ id: existing.id }, { passwordHash, disabledAt: null, updatedAt: now });
      const revoked = await m.getRepository(AccessTokenEntity).update({ userId: existing.id, revokedAt: IsNull() }, { revokedAt: now });
      const tokensRevoked = revoked.affected ?? 0;
      await this.audit.record(
        { action: 'user.password_reset_by_operator', companyId: null, targetType: 'user', targetId: existing.id, changes: { password: 'changed', enabled: existing.disabledAt !== null, tokensRevoked } },
        m,
      );
      return { outcome: 'reset', userId: existing.id, tokensRevoked } as const;
    });
  }

  private async newAdmin(email: string, password: string, passwordHash?: string): Promise<UserEntity> {
    const now = new Date();
    return Object.assign(new UserEntity(), {
      id: randomUUID(),
      companyId: null,
      email: email.trim().toLowerCase(),
      name: 'Platform admin',
      passwordHash: passwordHash ?? (await hashPassword(password)),
      role: 'platform_admin',
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
  }

  private async insert(m: EntityManager, user: UserEntity, action: string): Promise<void> {
    await m.getRepository(UserEntity).insert(user);
    await this.audit.record({ action, companyId: null, targetType: 'user', targetId: user.id, changes: { email: user.email, role: user.role } }, m);
  }
}
