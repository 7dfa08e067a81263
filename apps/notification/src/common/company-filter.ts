import { Inject, Injectable } from '@nestjs/common';
import { companyScope, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';

/** Which companies this instance serves (NOTIFICATION_SERVE_COMPANIES; all when unset): see companyScope. */
@Injectable()
export class CompanyFilter {
  private readonly scope: (companyId: string | null) => boolean;

  constructor(@Inject(SERVICE_CONFIG) config: NotificationEnv) {
    this.scope = companyScope(config.NOTIFICATION_SERVE_COMPANIES);
  }

  serves(companyId: string | null): boolean {
    return this.scope(companyId);
  }
}
