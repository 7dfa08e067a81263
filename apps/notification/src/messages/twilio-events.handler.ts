import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, Topics, twilioInboundMessageSchema, twilioMessageStatusSchema } from '@receptionist/contracts';
import { DataSource } from 'typeorm';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { notificationsFailed } from '../notification.metrics';
import { CompanyPolicies } from './company-policy';
import { Dispatcher } from './dispatcher';
import { MessageComposer } from './message-composer';
import { MessageRow, MessagesRepository, NewMessage, PROVIDER_STATUS_RANK } from './messages.repository';

type StatusCallback = z.output<typeof twilioMessageStatusSchema>;
type InboundMessage = z.output<typeof twilioInboundMessageSchema>;

const WHATSAPP = 'whatsapp:';

/** Twilio's own opt-out/opt-in keywords: Twilio blocks the sender and answers them itself (Advanced Opt-Out). */
const TWILIO_STOP = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
const TWILIO_START = ['START', 'YES', 'UNSTOP'];
/** German equivalents Twilio does not know: we opt the number out and answer ourselves. */
const GERMAN_STOP = ['STOPP', 'ABMELDEN', 'ABBESTELLEN', 'AUSTRAGEN', 'KÜNDIGEN', 'KUENDIGEN', 'ENDE', 'BEENDEN', 'KEINE SMS', 'KEINE NACHRICHTEN'];
const GERMAN_START = ['ANMELDEN', 'STARTEN', 'WEITER'];

export function classifyKeyword(body: string): { intent: 'stop' | 'start'; answeredByTwilio: boolean; keyword: string } | null {
  const keyword = body
    .trim()
    .toUpperCase()
    .replace(/[.!?,;:]+$/u, '')
    .replace(/\s+/g, ' ');
  if (TWILIO_STOP.includes(keyword)) return { intent: 'stop', answeredByTwilio: true, keyword };
  if (TWILIO_START.includes(keyword)) return { intent: 'start', answeredByTwilio: true, keyword };
  if (GERMAN_STOP.includes(keyword)) return { intent: 'stop', answeredByTwilio: false, keyword };
  if (GERMAN_START.includes(keyword)) return { intent: 'start', answeredByTwilio: false, keyword };
  return null;
}

const bare = (address: string) => (address.startsWith(WHATSAPP) ? address.slice(WHATSAPP.length) : address);

/**
 * Twilio's webhooks as the gateway forwards them (signature already checked there):
 * - status callbacks move a message through queued/sent/delivered/failed/undelivered, never backwards (so a
 *   redelivered or late callback changes nothing); `failed`/`undelivered` publish `notification.failed`;
 * - inbound STOP (or a German equivalent) opts the number out for every company that has written to it from that
 *   sender, drops what was waiting for it and, where Twilio does not answer itself, answers once; START reverses it.
 *   Each keyword message is applied once by its MessageSid (notification_inbound_keyword).
 */
@Injectable()
export class TwilioEventsHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly messages: MessagesRepository,
    private readonly policies: CompanyPolicies,
    private readonly composer: MessageComposer,
    private readonly dispatcher: Dispatcher,
    private readonly filter: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.twilioMessageStatus.name)
  async onStatus(envelope: Envelope<StatusCallback>): Promise<void> {
    const d = envelope.data;
    if (d.notificationCompanyId && !this.filter.serves(d.notificationCompanyId)) return;
    const rank = PROVIDER_STATUS_RANK[d.messageStatus];
    if (!rank) return;
    let failedRow: MessageRow | null = null;
    await this.outbox.transaction(async (manager, publish) => {
      const row =
        d.notificationCompanyId && d.notificationMessageId
          ? await this.messages.lockOne(manager, d.notificationCompanyId, d.notificationMessageId)
          : await this.messages.lockBySid(manager, d.messageSid);
      if (!row || row.status === 'scheduled' || row.status === 'skipped') return;
      if (row.providerSid && row.providerSid !== d.messageSid) return;
      // While still claimed, any news from Twilio means it has the message (it must not be sent again).
      if (row.status !== 'claimed' && rank <= (PROVIDER_STATUS_RANK[row.status] ?? Number.MAX_SAFE_INTEGER)) return;
      await this.messages.applyProviderStatus(manager, row.id, d.messageStatus, d.messageSid, d.errorCode);
      if (d.messageStatus === 'failed' || d.messageStatus === 'undelivered') {
        failedRow = row;
        await publish({
          topic: Topics.notificationFailed.name,
          key: row.id,
          companyId: row.companyId,
          subject: row.appointmentId,
          data: {
            messageId: row.id,
            channel: row.channel,
            kind: row.kind,
            appointmentId: row.appointmentId,
            errorCode: d.errorCode,
            reason: `Twilio reported the message ${d.messageStatus}${d.errorCode ? ` (error ${d.errorCode})` : ''}`,
            permanent: true,
          },
        });
      }
    });
    if (failedRow) {
      const row = failedRow as MessageRow;
      notificationsFailed().inc({ channel: row.channel, kind: row.kind, reason: d.messageStatus });
    }
  }

  @OnEvent(Topics.twilioMessageInbound.name)
  async onInbound(envelope: Envelope<InboundMessage>): Promise<void> {
    const d = envelope.data;
    const intent = classifyKeyword(d.body);
    if (!intent) return;
    const phone = bare(d.from);
    const sender = bare(d.to);
    const channel = d.from.startsWith(WHATSAPP) ? 'whatsapp' : 'sms';
    // Once per MessageSid, ever (not only while the inbox remembers the envelope): a redelivered or replayed START
    // must not undo a STOP sent since.
    const outcome = await this.dataSource.transaction(async (manager) => {
      if (!(await this.messages.firstKeyword(manager, d.messageSid, phone, intent.intent, intent.keyword, new Date(d.receivedAt)))) return { duplicate: true as const };
      const companies = (await this.messages.companiesMessaging(manager, phone, sender)).filter((c) => this.filter.serves(c.companyId));
      for (const c of companies) {
        if (intent.intent === 'stop') {
          await this.messages.optOut(manager, c.companyId, phone, intent.keyword);
          await this.messages.skipPendingFor(manager, c.companyId, phone, 'opted_out');
        } else await this.messages.optIn(manager, c.companyId, phone);
      }
      if (companies.length === 0 || intent.answeredByTwilio) return { duplicate: false as const, result: companies.length };
      // The answer the law asks for, once, in the language the customer was last written to.
      const latest = companies[0];
      const policy = await this.policies.forCompany(latest.companyId, latest.timeZone);
      const kind = intent.intent === 'stop' ? 'opt_out' : 'opt_in';
      const text = await this.composer.compose({
        companyId: latest.companyId,
        kind,
        language: latest.language,
        companyLanguage: policy.language,
        timeZone: latest.timeZone,
        startsAt: null,
        vars: { company_name: companies.length === 1 ? policy.companyName : null },
      });
      const answer: NewMessage = {
        id: randomUUID(),
        companyId: latest.companyId,
        appointmentId: null,
        kind,
        dedupeKey: `inbound:${d.messageSid}`,
        channel,
        toNumber: phone,
        sender,
        language: text.language,
        timeZone: latest.timeZone,
        body: text.body,
        dueAt: new Date(),
        appointmentStartsAt: null,
        eventAt: new Date(envelope.time),
      };
      await this.messages.insert(manager, [answer]);
      return { duplicate: false as const, result: companies.length };
    });
    if (outcome.duplicate) {
      this.logger.info({ intent: intent.intent }, 'opt-out/opt-in keyword applied before (redelivered or replayed); ignored');
      return;
    }
    if (outcome.result === 0) this.logger.info({ intent: intent.intent }, 'opt-out/opt-in keyword from a number no company of ours has written to');
    else this.logger.info({ intent: intent.intent, companies: outcome.result }, 'opt-out/opt-in keyword applied');
    this.dispatcher.wake();
  }
}
