import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';
import { CalcomCreates } from './calcom-creates';

/** Settles Cal.com creates whose outcome we never learnt (calcom-creates.ts), every CALCOM_ORPHAN_SCAN_MS, also right after a restart. */
@Injectable()
export class OrphanScan implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly creates: CalcomCreates,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    if (!this.config.CALCOM_ORPHAN_SCAN_MS) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.creates
        .scan()
        .catch((error) => this.logger.error({ err: error }, 'orphan scan failed'))
        .finally(() => (this.running = undefined));
    }, this.config.CALCOM_ORPHAN_SCAN_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.running;
  }
}
