import { Inject, Injectable } from '@nestjs/common';
import { companyScope, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';

/** Which companies this instance serves (BOOKING_SERVE_COMPANIES; all when unset): see companyScope. */
@Injectable()
export class CompanyFilter {
  private readonly scope: (companyId: string | null) => boolean;

  constructor(@Inject(SERVICE_CONFIG) config: BookingEnv) {
    this.scope = companyScope(config.BOOKING_SERVE_COMPANIES);
  }

  serves(companyId: string): boolean {
    return this.scope(companyId);
  }
}
