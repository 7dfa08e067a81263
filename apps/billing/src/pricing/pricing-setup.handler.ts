import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Envelope, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent } from '@receptionist/service-runtime';
import { BillingSetup, PricingRepository } from './pricing.repository';
import { PricesService } from '../prices/prices.service';
import { LedgerService, thresholdsOf } from '../ledger/ledger.service';

const CONSUMER = 'billing.pricing-setup';

/**
 * Applies `company.setup.billing` (a company's prices from onboarding) and answers `company.setup.applied`
 * {part: 'billing'} from the outbox in the same transaction as the change and the inbox record.
 */
@Injectable()
export class PricingSetupHandler {
  constructor(
    private readonly pricing: PricingRepository,
    private readonly prices: PricesService,
    private readonly ledger: LedgerService,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.billingSetup.name)
  async onSetup(envelope: Envelope<BillingSetup>): Promise<void> {
    const setup = envelope.data;
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, async (manager) => {
      const now = new Date();
      const current = await this.pricing.forCompany(setup.companyId, manager, true);
      const outcome = current?.revision === setup.revision ? 'unchanged' : 'applied';
      if (outcome === 'applied') {
        const before = current ? await this.prices.effective(setup.companyId, manager) : null;
        await this.pricing.save(manager, setup, now);
        // A partner taking the company over (postpaid) while it is exhausted stops its calls being refused, and back.
        if (before) {
          await this.ledger.announceRefusalChange(manager, setup.companyId, thresholdsOf(before), thresholdsOf(await this.prices.effective(setup.companyId, manager)), (event) =>
            this.outbox.add(manager, event),
          );
        }
      }
      await this.outbox.add(manager, {
        topic: Topics.setupApplied.name,
        key: setup.companyId,
        companyId: setup.companyId,
        subject: setup.revision,
        data: { companyId: setup.companyId, part: 'billing', revision: setup.revision, outcome, appliedAt: now.toISOString() },
      });
      return outcome;
    });
    // Outbox.add inside the inbox transaction does not wake the relay by itself.
    this.runtime.relay.wake();
    if (!handled.duplicate) this.logger.info({ companyId: setup.companyId, revision: setup.revision, outcome: handled.result }, 'billing set-up handled');
  }
}
