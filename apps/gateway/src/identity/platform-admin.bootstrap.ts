import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import type { GatewayEnv } from '../config';
import { hashPassword } from '../auth/password';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/zod-body';
import { UserEntity } from './entities';
import { UsersRepository } from './users.repository';

/**
 * The first platform admin: with PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD set, created once at start
 * when no platform admin exists. Two instances starting together are settled by the unique e-mail.
 */
@Injectable()
export class PlatformAdminBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceEnv & GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    if (await this.users.platformAdminExists()) return;
    const now = new Date();
    const user = Object.assign(new UserEntity(), {
      id: randomUUID(),
      companyId: null,
      email: email.trim().toLowerCase(),
      name: 'Platform admin',
      passwordHash: await hashPassword(password),
      role: 'platform_admin',
      disabledAt: null,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.dataSource.transaction(async (m) => {
        await m.getRepository(UserEntity).insert(user);
        await this.audit.record({ action: 'user.bootstrapped', companyId: null, targetType: 'user', targetId: user.id, changes: { email: user.email, role: user.role } }, m);
      });
      this.logger.info({ userId: user.id }, 'created the first platform admin');
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      this.logger.warn('PLATFORM_ADMIN_EMAIL is already registered; no platform admin created');
    }
  }
}
