import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';

/**
 * Which companies this instance serves (NOTIFICATION_SERVE_COMPANIES; all when unset). Lets several notification
 * instances with their own databases share one broker in integration tests without messaging for each other.
 */
@Injectable()
export class CompanyFilter {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly all: boolean;

  constructor(@Inject(SERVICE_CONFIG) config: NotificationEnv) {
    const entries = (config.NOTIFICATION_SERVE_COMPANIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    this.all = entries.length === 0;
    for (const e of entries) {
      if (e.endsWith('*')) this.prefixes.push(e.slice(0, -1));
      else this.exact.add(e);
    }
  }

  serves(companyId: string | null): boolean {
    if (companyId === null) return this.all;
    return this.all || this.exact.has(companyId) || this.prefixes.some((p) => companyId.startsWith(p));
  }
}
