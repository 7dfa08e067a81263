import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, PollLoop, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { notificationEventToSend, notificationRetries, notificationsFailed, notificationsSent, notificationsSkipped } from '../notification.metrics';
import { SendOutcome, TwilioMessenger, UNSUBSCRIBED_RECIPIENT } from '../twilio/twilio.messenger';
import { AppointmentEmails } from './appointment-emails';
import { CompanyPolicies } from './company-policy';
import { MessageRow, MessagesRepository } from './messages.repository';
import { afterQuietHours } from './zoned-time';

/** Kinds sent whatever the hour: the customer has just acted (booked, or texted STOP/START). */
const ANY_HOUR = new Set(['confirmation', 'opt_out', 'opt_in']);
/** Kinds sent to opted-out numbers: the legally required answer to STOP/START itself. */
const TO_OPTED_OUT = new Set(['opt_out', 'opt_in']);
const MAX_RETRY_DELAY_MS = 15 * 60_000;

type Decision =
  | { action: 'send' }
  | { action: 'defer'; until: Date }
  | { action: 'skip'; reason: string };

type Result =
  | { row: MessageRow; action: 'sent'; outcome: Extract<SendOutcome, { ok: true }> }
  | { row: MessageRow; action: 'retry'; until: Date; error: { code: string | null; message: string } }
  | { row: MessageRow; action: 'failed'; permanent: boolean; error: { code: string | null; message: string } }
  | { row: MessageRow; action: 'defer'; until: Date }
  | { row: MessageRow; action: 'skip'; reason: string };

/**
 * Sends due messages. Each round claims a batch (`FOR UPDATE SKIP LOCKED`, see MessagesRepository.claimDue), so any
 * number of instances poll side by side and each message is claimed by one; sends the batch with bounded
 * concurrency through Twilio; records every outcome with its `notification.sent` / `notification.failed` in one
 * outbox transaction. Reminders and retries wait in the table (`due_at`), so they survive restarts.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly poller: PollLoop;

  constructor(
    private readonly messages: MessagesRepository,
    private readonly twilio: TwilioMessenger,
    private readonly emails: AppointmentEmails,
    private readonly policies: CompanyPolicies,
    private readonly outbox: Outbox,
    private readonly dataSource: DataSource,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Several loops per instance: one sends while another records its batch and claims the next.
    this.poller = new PollLoop({
      name: 'dispatch',
      intervalMs: config.NOTIFICATION_POLL_MS,
      batchSize: config.NOTIFICATION_BATCH_SIZE,
      loops: config.NOTIFICATION_DISPATCH_LOOPS,
      round: () => this.round(),
      logger,
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  /** Before the runtime flushes the outbox: the batch in flight is recorded, then no more are claimed. */
  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
  }

  /** Look for due messages now (a booking event just added some). */
  wake(): void {
    this.poller.wake();
  }

  /** One claim-send-record round; returns how many messages it claimed. */
  async round(): Promise<number> {
    // Without Twilio only e-mails can go; texts stay scheduled (and the check reports it).
    const only = this.twilio.configured ? undefined : 'email';
    const rows = await this.messages.claimDue(this.runtime.instanceId, new Date(), this.config.NOTIFICATION_BATCH_SIZE, this.config.NOTIFICATION_CLAIM_TIMEOUT_MS, only);
    if (rows.length === 0) return 0;
    const decisions = await this.decide(rows);
    const results: Result[] = new Array(rows.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < rows.length; i = next++) results[i] = await this.process(rows[i], decisions[i]);
    };
    await Promise.all(Array.from({ length: Math.min(this.config.NOTIFICATION_SEND_CONCURRENCY, rows.length) }, worker));
    await this.record(results);
    return rows.length;
  }

  /** Opt-outs, quiet hours and lateness, checked when sending (settings and opt-outs may have changed since scheduling). */
  private async decide(rows: MessageRow[]): Promise<Decision[]> {
    const now = new Date();
    const byCompany = new Map<string, MessageRow[]>();
    for (const r of rows) byCompany.set(r.companyId, [...(byCompany.get(r.companyId) ?? []), r]);
    const optedOut = new Map<string, Set<string>>();
    for (const [companyId, list] of byCompany) {
      optedOut.set(companyId, await this.messages.optedOut(this.dataSource.manager, companyId, [...new Set(list.map((r) => r.toNumber))]));
    }
    const decisions: Decision[] = [];
    for (const r of rows) {
      if (!TO_OPTED_OUT.has(r.kind) && optedOut.get(r.companyId)!.has(r.toNumber)) {
        decisions.push({ action: 'skip', reason: 'opted_out' });
        continue;
      }
      if (r.kind === 'reminder' && r.appointmentStartsAt && r.appointmentStartsAt.getTime() <= now.getTime()) {
        decisions.push({ action: 'skip', reason: 'too_late' });
        continue;
      }
      if (!ANY_HOUR.has(r.kind)) {
        const policy = await this.policies.forCompany(r.companyId, r.timeZone);
        const until = afterQuietHours(now, policy.quietHours, policy.timeZone);
        if (until.getTime() !== now.getTime()) {
          if (r.kind === 'reminder' && r.appointmentStartsAt && until.getTime() >= r.appointmentStartsAt.getTime()) {
            decisions.push({ action: 'skip', reason: 'quiet_hours' });
          } else decisions.push({ action: 'defer', until });
          continue;
        }
      }
      decisions.push({ action: 'send' });
    }
    return decisions;
  }

  private async process(row: MessageRow, decision: Decision): Promise<Result> {
    if (decision.action === 'skip') return { row, action: 'skip', reason: decision.reason };
    if (decision.action === 'defer') return { row, action: 'defer', until: decision.until };
    const outcome = row.channel === 'email' ? await this.emails.send(row) : await this.sendTwilio(row);
    if ('result' in outcome) return outcome.result;
    if (outcome.ok) return { row, action: 'sent', outcome };
    const error = { code: outcome.code, message: outcome.message };
    if (!outcome.transient) return { row, action: 'failed', permanent: true, error };
    if (row.attempts >= this.config.NOTIFICATION_MAX_ATTEMPTS) return { row, action: 'failed', permanent: false, error };
    const delay = Math.min(this.config.NOTIFICATION_RETRY_BASE_MS * 4 ** (row.attempts - 1), MAX_RETRY_DELAY_MS);
    const jitter = Math.floor(delay * 0.2 * Math.random());
    return { row, action: 'retry', until: new Date(Date.now() + delay + jitter), error };
  }

  private async sendTwilio(row: MessageRow): Promise<SendOutcome | { result: Result }> {
    if (!row.sender) return { result: { row, action: 'failed', permanent: true, error: { code: null, message: 'no sender configured (TWILIO_FROM_NUMBER or the company sender id)' } } };
    const prefix = row.channel === 'whatsapp' ? 'whatsapp:' : '';
    return this.twilio.send({
      to: prefix + row.toNumber,
      from: prefix + row.sender,
      body: row.body,
      statusCallback: this.statusCallbackUrl(row),
    });
  }

  /** Our message and company ride along in the callback URL: Twilio signs the whole URL, so they cannot be forged. */
  private statusCallbackUrl(row: MessageRow): string {
    const url = new URL('/api/webhooks/twilio/status', this.config.APP_URL);
    url.searchParams.set('company', row.companyId);
    url.searchParams.set('message', row.id);
    return url.toString();
  }

  private async record(results: Result[]): Promise<void> {
    const now = new Date();
    await this.outbox.transaction(async (manager, publish) => {
      const accepted = results.flatMap((r) => (r.action === 'sent' ? [{ id: r.row.id, sid: r.outcome.sid, status: r.outcome.status }] : []));
      await this.messages.markAccepted(manager, accepted, now);
      for (const r of results) {
        const { row } = r;
        const base = { messageId: row.id, channel: row.channel, kind: row.kind, appointmentId: row.appointmentId };
        switch (r.action) {
          case 'sent':
            await publish({
              topic: Topics.notificationSent.name,
              key: row.id,
              companyId: row.companyId,
              subject: row.appointmentId,
              data: { ...base, providerMessageId: r.outcome.sid },
            });
            break;
          case 'retry':
            await this.messages.reschedule(manager, row.id, r.until, r.error);
            break;
          case 'defer':
            await this.messages.reschedule(manager, row.id, r.until, null, true);
            break;
          case 'skip':
            await this.messages.finish(manager, row.id, 'skipped', { code: null, message: r.reason });
            break;
          case 'failed':
            await this.messages.finish(manager, row.id, 'failed', r.error);
            // Twilio says the recipient replied STOP to this sender at some point: remember it for the company.
            if (r.error.code === UNSUBSCRIBED_RECIPIENT) await this.messages.optOut(manager, row.companyId, row.toNumber, 'twilio:21610');
            await publish({
              topic: Topics.notificationFailed.name,
              key: row.id,
              companyId: row.companyId,
              subject: row.appointmentId,
              data: { ...base, errorCode: r.error.code, reason: r.error.message.slice(0, 500) || 'failed', permanent: r.permanent },
            });
            break;
        }
      }
    });
    for (const r of results) this.count(r, now);
  }

  private count(r: Result, now: Date): void {
    const { row } = r;
    if (r.action === 'sent') {
      notificationsSent().inc({ channel: row.channel, kind: row.kind });
      if (row.eventAt) notificationEventToSend().observe({ kind: row.kind }, (now.getTime() - row.eventAt.getTime()) / 1000);
    } else if (r.action === 'retry') {
      notificationRetries().inc();
      this.logger.warn({ messageId: row.id, attempt: row.attempts, code: r.error.code }, 'Twilio failed transiently; retry scheduled');
    } else if (r.action === 'failed') {
      notificationsFailed().inc({ channel: row.channel, kind: row.kind, reason: r.permanent ? 'permanent' : 'exhausted' });
      this.logger.warn({ messageId: row.id, companyId: row.companyId, code: r.error.code, permanent: r.permanent }, `message failed: ${r.error.message}`);
    } else if (r.action === 'skip') {
      notificationsSkipped().inc({ kind: row.kind, reason: r.reason });
    }
  }
}
