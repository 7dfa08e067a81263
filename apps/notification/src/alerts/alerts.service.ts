import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { LOGGER, MessagingRuntime, PollLoop, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { NotificationSettingsRepository } from '../settings/settings.repository';
import { ALERT_CHANNELS, AlertChannel, AlertMessage, AlertSendError } from './alert-channel';
import { AlertFacts, composeAlert } from './alert-texts';
import { alertDeliveries, alertsRaised } from './alerts.metrics';
import { AlertsRepository, ClaimedDelivery, NewDelivery } from './alerts.repository';

export interface RaiseAlert {
  /** null: about no company (operators only). */
  companyId: string | null;
  /** Unique per company: the same alert raised again (a redelivered event) changes nothing. */
  dedupeKey: string;
  facts: AlertFacts;
}

export interface RaisedAlert {
  alertId: string;
  kind: string;
  skipped: NewDelivery[];
}

const BATCH = 20;
const MAX_RETRY_DELAY_MS = 15 * 60_000;

/**
 * Raises alerts (one row per dedupe key, one delivery row per channel and recipient, in the caller's transaction)
 * and sends their deliveries from a poller, apart from whatever raised them: a Slack or Twilio outage delays an
 * alert, it never holds a consumer. Transient failures are retried with ×4 back-off, then recorded as failed.
 */
@Injectable()
export class AlertsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly poller: PollLoop;

  constructor(
    private readonly repository: AlertsRepository,
    private readonly settings: NotificationSettingsRepository,
    @Inject(ALERT_CHANNELS) private readonly channels: AlertChannel[],
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.poller = new PollLoop({ name: 'alert', intervalMs: config.ALERT_POLL_MS, batchSize: BATCH, round: () => this.round(), logger });
  }

  onApplicationBootstrap(): void {
    const detail = () => this.channels.map((c) => `${c.name}: ${c.disabledReason ? `off (${c.disabledReason})` : 'on'}`).join('; ');
    this.runtime.registerCheck('alerts.channels', () => ({ ok: true, detail: detail() }));
    this.logger.info({ channels: detail() }, 'alert channels');
    this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
  }

  /** Records the alert and its deliveries in `manager`'s transaction; null if it was raised before. Call `raised` after commit. */
  async raise(manager: EntityManager, input: RaiseAlert): Promise<RaisedAlert | null> {
    const now = new Date();
    const company = input.companyId ? await this.settings.forCompany(input.companyId, manager) : null;
    const texts = composeAlert(input.facts, { id: input.companyId ?? '', name: company?.companyName ?? null, language: company?.language ?? 'en' });
    const companyId = input.companyId ?? '';
    const { kind, ...details } = input.facts;
    const alertId = await this.repository.insertAlert(manager, { companyId, kind, dedupeKey: input.dedupeKey, texts, details }, now);
    if (!alertId) return null;
    const message: AlertMessage = { alertId, companyId, kind, ...texts };
    const deliveries: NewDelivery[] = this.channels.flatMap((channel) =>
      channel.recipients(message, company?.alertContacts ?? []).map((recipient) => ({
        channel: channel.name,
        recipient,
        status: channel.disabledReason ? ('skipped' as const) : ('pending' as const),
        error: channel.disabledReason,
      })),
    );
    await this.repository.insertDeliveries(manager, alertId, companyId, deliveries, now);
    return { alertId, kind, skipped: deliveries.filter((d) => d.status === 'skipped') };
  }

  /** After the raising transaction committed: count, log, and send now. */
  raised(alert: RaisedAlert | null, context: Record<string, unknown>): void {
    if (!alert) return;
    alertsRaised().inc({ kind: alert.kind });
    for (const d of alert.skipped) alertDeliveries().inc({ channel: d.channel, outcome: 'not_configured' });
    this.logger.warn({ ...context, alertId: alert.alertId, kind: alert.kind }, 'alert raised');
    this.wake();
  }

  wake(): void {
    this.poller.wake();
  }

  /** Claims due deliveries and sends them; returns how many it claimed. */
  async round(): Promise<number> {
    const lease = this.config.ALERT_TIMEOUT_MS * 3;
    const due = await this.repository.claimDue(this.runtime.instanceId, new Date(), BATCH, lease);
    await Promise.all(due.map((d) => this.deliver(d)));
    return due.length;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const channel = this.channels.find((c) => c.name === d.channel);
    let error: AlertSendError | null = null;
    if (!channel || channel.disabledReason) error = new AlertSendError(channel?.disabledReason ?? `unknown channel ${d.channel}`, false);
    else {
      try {
        await channel.send(d.alert, d.recipient);
      } catch (e) {
        error = e instanceof AlertSendError ? e : new AlertSendError((e as Error).message, true);
      }
    }
    const instance = this.runtime.instanceId;
    if (!error) {
      await this.repository.finish(d.id, instance, { status: 'sent', error: null });
      alertDeliveries().inc({ channel: d.channel, outcome: 'sent' });
      return;
    }
    if (error.transient && d.attempts < this.config.ALERT_MAX_ATTEMPTS) {
      const delay = Math.min(this.config.ALERT_RETRY_BASE_MS * 4 ** (d.attempts - 1), MAX_RETRY_DELAY_MS);
      await this.repository.finish(d.id, instance, { status: 'pending', error: error.message, dueAt: new Date(Date.now() + delay) });
      alertDeliveries().inc({ channel: d.channel, outcome: 'retry' });
    } else {
      await this.repository.finish(d.id, instance, { status: 'failed', error: error.message });
      alertDeliveries().inc({ channel: d.channel, outcome: 'failed' });
    }
    // The recipient (a phone, an e-mail address) is personal data: the delivery id identifies it well enough.
    this.logger.warn({ deliveryId: d.id, alertId: d.alert.alertId, channel: d.channel, attempt: d.attempts, transient: error.transient }, `alert delivery failed: ${error.message}`);
  }
}
