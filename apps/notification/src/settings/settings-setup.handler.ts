import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Envelope, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { NotificationSettingsRepository, NotificationSetup } from './settings.repository';

const CONSUMER = 'notification.settings-setup';

/**
 * Applies `company.setup.notification` (channels, reminders, sender, quiet hours from onboarding) and answers
 * `company.setup.applied` {part: 'notification'} from the outbox in the same transaction as the change.
 */
@Injectable()
export class NotificationSettingsSetupHandler {
  constructor(
    private readonly settings: NotificationSettingsRepository,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly filter: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.notificationSetup.name)
  async onSetup(envelope: Envelope<NotificationSetup>): Promise<void> {
    const setup = envelope.data;
    if (!this.filter.serves(setup.companyId)) return; // another instance's company (tests sharing one broker)
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, async (manager) => {
      const now = new Date();
      const current = await this.settings.forCompany(setup.companyId, manager, true);
      const outcome = current?.revision === setup.revision ? 'unchanged' : 'applied';
      if (outcome === 'applied') await this.settings.save(manager, setup, now);
      await this.outbox.add(manager, {
        topic: Topics.setupApplied.name,
        key: setup.companyId,
        companyId: setup.companyId,
        subject: setup.revision,
        data: { companyId: setup.companyId, part: 'notification', revision: setup.revision, outcome, appliedAt: now.toISOString() },
      });
      return outcome;
    });
    // Outbox.add inside the inbox transaction does not wake the relay by itself.
    this.runtime.relay.wake();
    if (!handled.duplicate) this.logger.info({ companyId: setup.companyId, revision: setup.revision, outcome: handled.result }, 'notification set-up handled');
  }
}
