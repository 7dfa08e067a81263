import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Envelope, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { BookingSetup, CatalogueService } from './catalogue.service';

const CONSUMER = 'booking.catalogue';

/** Applies `company.setup.booking` and answers `company.setup.applied {part:'booking'}` in the same transaction. */
@Injectable()
export class CatalogueSetupHandler {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.bookingSetup.name)
  async onSetup(envelope: Envelope<BookingSetup>): Promise<void> {
    const doc = envelope.data;
    if (!this.companies.serves(doc.companyId)) return;
    this.catalogue.validate(doc);
    const outcome = await this.inbox.handleOnce(CONSUMER, envelope, async (manager) => {
      const result = await this.catalogue.apply(manager, doc);
      await this.outbox.add(manager, {
        topic: Topics.setupApplied.name,
        key: doc.companyId,
        companyId: doc.companyId,
        subject: doc.revision,
        data: { companyId: doc.companyId, part: 'booking', revision: doc.revision, outcome: result, appliedAt: new Date().toISOString() },
      });
      return result;
    });
    // Outbox.add inside the inbox transaction does not wake the relay by itself.
    this.runtime.relay.wake();
    if (!outcome.duplicate) this.logger.info({ companyId: doc.companyId, revision: doc.revision, outcome: outcome.result }, 'booking set-up handled');
  }
}
