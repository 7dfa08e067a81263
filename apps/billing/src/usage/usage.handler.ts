import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, Topics, callCompletedSchema } from '@receptionist/contracts';
import { LOGGER, OnEvent, OnEventBatch, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { InvoicesService } from '../invoices/invoices.service';
import { TopUpsService } from '../topups/topups.service';
import { UsageService } from './usage.service';

/** `call.completed` → usage debit (see UsageService), a whole fetched batch at a time. */
@Injectable()
export class UsageHandler {
  constructor(private readonly usage: UsageService) {}

  @OnEvent(Topics.callCompleted.name)
  onCallCompleted(envelope: Envelope<z.output<typeof callCompletedSchema>>): Promise<void> {
    return this.usage.onCallCompleted(envelope);
  }

  /** Throughput: a fetched batch in one transaction (the handler above is its one-by-one fallback). */
  @OnEventBatch(Topics.callCompleted.name, { maxBatchSize: 200 })
  onCallCompletedBatch(envelopes: Envelope<z.output<typeof callCompletedSchema>>[]): Promise<void> {
    return this.usage.onCallCompletedBatch(envelopes);
  }
}

/**
 * Periodic work of every billing instance: rating usage kept unrated until its company's prices arrived, automatic
 * top-ups whose charge did not go through, and the monthly invoice run. Both are safe to run on several instances at once (row locks, unique keys, Stripe keys).
 */
@Injectable()
export class BillingJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();

  constructor(
    private readonly usage: UsageService,
    private readonly invoices: InvoicesService,
    private readonly topUps: TopUpsService,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.every(this.config.BILLING_RERATE_INTERVAL_MS, 'rate unrated usage', () => this.usage.rateUnpriced());
    this.every(this.config.BILLING_AUTO_TOPUP_RETRY_MS, 'automatic top-ups', () => this.topUps.retryDueAuto());
    if (this.config.BILLING_INVOICE_RUN_INTERVAL_MS > 0) this.every(this.config.BILLING_INVOICE_RUN_INTERVAL_MS, 'monthly invoices', () => this.invoices.runMonthly());
  }

  private every(ms: number, name: string, job: () => Promise<unknown>) {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const p = job()
        .catch((error) => this.logger.error({ err: error, job: name }, 'billing job failed'))
        .finally(() => {
          busy = false;
          this.running.delete(p);
        });
      this.running.add(p);
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  async onApplicationShutdown() {
    for (const t of this.timers) clearInterval(t);
    await Promise.allSettled([...this.running]);
  }
}
