import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import type { GatewayEnv } from '../config';
import { PlatformAdmins } from './platform-admins';

/**
 * The first platform admin: with PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD set, created once at start
 * when no platform admin exists. Two instances starting together are settled by the unique e-mail. Later admins
 * and password resets: `admin:create` (admin-create.ts).
 */
@Injectable()
export class PlatformAdminBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceEnv & GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly admins: PlatformAdmins,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    const created = await this.admins.createFirst(email, password);
    if (created === 'email taken') this.logger.warn('PLATFORM_ADMIN_EMAIL is already registered; no platform admin created');
    else if (created !== 'admin exists') this.logger.info({ userId: created.userId }, 'created the first platform admin');
  }
}
