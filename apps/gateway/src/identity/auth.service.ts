import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import type { GatewayEnv } from '../config';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { AuditService } from '../audit/audit.service';
import { AccessTokensService } from './access-tokens.service';
import { RolesRepository } from './roles.repository';
import { UsersRepository } from './users.repository';
import { UserEntity } from './entities';
import { DataSource } from 'typeorm';

/** The one answer for every failed sign-in: no hint whether the e-mail or the password was wrong. */
export const INVALID_CREDENTIALS = { statusCode: 401, error: 'Unauthorized', message: 'Invalid credentials' } as const;

@Injectable()
export class AuthService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceEnv & GatewayEnv,
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly roles: RolesRepository,
    private readonly tokens: AccessTokensService,
    private readonly audit: AuditService,
  ) {}

  async login(email: string, password: string, meta: { requestId: string | null; ip: string | null }) {
    const user = await this.users.findByEmail(email);
    // Always pay for one scrypt, so an unknown e-mail is not faster than a wrong password.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !ok || user.disabledAt) {
      await this.audit.record({
        action: 'auth.login',
        outcome: 'failure',
        companyId: user?.companyId ?? null,
        actorUserId: user?.id ?? null,
        targetType: 'user',
        targetId: user?.id ?? null,
        changes: { email: email.trim().toLowerCase().slice(0, 254) },
        ...meta,
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    if (needsRehash(user.passwordHash)) await this.rehash(user, password);
    const abilities = [...(await this.roles.permissionsOfUser(user))];
    const expiresAt = new Date(Date.now() + this.config.LOGIN_TOKEN_TTL_MINUTES * 60_000);
    const { token, entity } = await this.tokens.issue(
      user,
      { name: 'login', abilities, expiresAt },
      { action: 'auth.login', by: { actorUserId: user.id, requestId: meta.requestId, ip: meta.ip } },
    );
    return { token, tokenId: entity.id, expiresAt: entity.expiresAt.toISOString(), abilities: entity.abilities, user: { id: user.id, email: user.email, name: user.name, role: user.role, companyId: user.companyId } };
  }

  private async rehash(user: UserEntity, password: string) {
    await this.dataSource.getRepository(UserEntity).update({ id: user.id }, { passwordHash: await hashPassword(password) });
  }
}
