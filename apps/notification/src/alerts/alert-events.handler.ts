import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { balanceLowSchema, Envelope, notificationFailedSchema, planPaymentOverdueSchema, Topics } from '@receptionist/contracts';
import { Inbox } from '@receptionist/messaging';
import { LOGGER, OnEvent, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import type { NotificationEnv } from '../config';
import { AlertsRepository } from './alerts.repository';
import { AlertsService, RaisedAlert } from './alerts.service';

const CONSUMER = 'notification.alerts';

/**
 * Alerts from events: `balance.low` (billing publishes it once per crossing of the threshold), `plan.payment.overdue`
 * (a failed plan payment's notice and reminders during the grace period) and a run of
 * permanent delivery failures (our own `notification.failed`): ALERT_FAILURE_THRESHOLD of them for one company
 * within ALERT_FAILURE_WINDOW_MS, with no message accepted by Twilio in between, alert once per run.
 */
@Injectable()
export class AlertEventsHandler {
  constructor(
    private readonly alerts: AlertsService,
    private readonly repository: AlertsRepository,
    private readonly inbox: Inbox,
    private readonly filter: CompanyFilter,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.balanceLow.name)
  async onBalanceLow(envelope: Envelope<z.output<typeof balanceLowSchema>>): Promise<void> {
    const companyId = envelope.companyId;
    if (!companyId || !this.filter.serves(companyId)) return;
    const { balance, threshold, currency } = envelope.data;
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, (manager) =>
      this.alerts.raise(manager, { companyId, dedupeKey: `balance.low:${envelope.id}`, facts: { kind: 'balance_low', balance, threshold, currency } }),
    );
    if (!handled.duplicate) this.alerts.raised(handled.result, { companyId, event: envelope.id });
  }

  /** A failed plan payment: the first notice and each reminder of the grace period (billing sends them), once each. */
  @OnEvent(Topics.planPaymentOverdue.name)
  async onPlanPaymentOverdue(envelope: Envelope<z.output<typeof planPaymentOverdueSchema>>): Promise<void> {
    const companyId = envelope.companyId;
    if (!companyId || !this.filter.serves(companyId)) return;
    const { amountDue, currency, graceEndsAt, reminder, planCode } = envelope.data;
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, (manager) =>
      this.alerts.raise(manager, { companyId, dedupeKey: `plan.payment.overdue:${envelope.data.stripeInvoiceId}:${reminder}`, facts: { kind: 'plan_payment_overdue', amountDue, currency, graceEndsAt, reminder, planCode } }),
    );
    if (!handled.duplicate) this.alerts.raised(handled.result, { companyId, event: envelope.id });
  }

  @OnEvent(Topics.notificationFailed.name)
  async onFailed(envelope: Envelope<z.output<typeof notificationFailedSchema>>): Promise<void> {
    const companyId = envelope.companyId;
    // Retries used up (`permanent: false`) say more about Twilio than about the company's numbers.
    if (!companyId || !envelope.data.permanent || !this.filter.serves(companyId)) return;
    const at = new Date(envelope.time);
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, async (manager): Promise<RaisedAlert | null> => {
      const streak = await this.repository.lockStreak(manager, companyId, at);
      const expired = at.getTime() - streak.startedAt.getTime() > this.config.ALERT_FAILURE_WINDOW_MS;
      if (streak.failures === 0 || expired || (await this.repository.sentSince(manager, companyId, streak.lastFailedAt))) {
        Object.assign(streak, { failures: 1, startedAt: at, alerted: false });
      } else streak.failures += 1;
      if (at > streak.lastFailedAt || streak.failures === 1) streak.lastFailedAt = at;
      let raised: RaisedAlert | null = null;
      if (streak.failures >= this.config.ALERT_FAILURE_THRESHOLD && !streak.alerted) {
        streak.alerted = true;
        // Twilio's reasons quote the customer's number: not for the admins' SMS or the operators' Slack.
        const lastError = [envelope.data.errorCode, envelope.data.reason].filter(Boolean).join(' ').replace(/\+?\d{7,15}/g, '…').slice(0, 160);
        raised = await this.alerts.raise(manager, {
          companyId,
          dedupeKey: `delivery-failures:${streak.startedAt.getTime()}`,
          facts: { kind: 'delivery_failures', failures: streak.failures, windowMinutes: Math.round(this.config.ALERT_FAILURE_WINDOW_MS / 60_000), lastError },
        });
      }
      await this.repository.saveStreak(manager, companyId, streak);
      return raised;
    });
    if (!handled.duplicate) this.alerts.raised(handled.result, { companyId, event: envelope.id });
    else this.logger.debug({ event: envelope.id }, 'notification.failed seen before');
  }
}
