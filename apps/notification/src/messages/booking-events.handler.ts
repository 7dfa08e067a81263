import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { Envelope, Topics, bookingCancelledSchema, bookingCreatedSchema, bookingRescheduledSchema } from '@receptionist/contracts';
import { PermanentMessageError } from '@receptionist/messaging';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { AppointmentStates, BookingFact, IncomingFact, isNewer } from './appointment-states';
import { notificationEventsRejected, notificationsSkipped } from '../notification.metrics';
import { CompanyPolicies, CompanyPolicy } from './company-policy';
import { AppointmentEmails } from './appointment-emails';
import { Dispatcher } from './dispatcher';
import { MessageComposer } from './message-composer';
import { MessagesRepository, NewMessage } from './messages.repository';
import type { MessageKind } from './templates';
import { isTimeZone } from '@receptionist/dates';
import { afterQuietHours } from './zoned-time';

type Appointment = z.output<typeof bookingCreatedSchema>;
type Rescheduled = z.output<typeof bookingRescheduledSchema>;
type Cancelled = z.output<typeof bookingCancelledSchema>;

/**
 * Turns booking facts into messages: a confirmation (or change/cancellation notice) due at once, and the
 * appointment's reminders due before its start. The dedupe keys make a redelivered event, or a second copy of the
 * same fact under another id, add nothing. Sending is the dispatcher's job (it is woken after the commit).
 */
@Injectable()
export class BookingEventsHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly messages: MessagesRepository,
    private readonly states: AppointmentStates,
    private readonly policies: CompanyPolicies,
    private readonly composer: MessageComposer,
    private readonly dispatcher: Dispatcher,
    private readonly emails: AppointmentEmails,
    private readonly filter: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.bookingCreated.name)
  async onCreated(envelope: Envelope<Appointment>): Promise<void> {
    await this.handle(envelope, Topics.bookingCreated.name, 'created', 'confirmation', { dropReminders: false, scheduleReminders: true });
  }

  @OnEvent(Topics.bookingRescheduled.name)
  async onRescheduled(envelope: Envelope<Rescheduled>): Promise<void> {
    await this.handle(envelope, Topics.bookingRescheduled.name, 'rescheduled', 'reschedule', { dropReminders: true, scheduleReminders: true });
  }

  @OnEvent(Topics.bookingCancelled.name)
  async onCancelled(envelope: Envelope<Cancelled>): Promise<void> {
    await this.handle(envelope, Topics.bookingCancelled.name, 'cancelled', 'cancellation', { dropReminders: true, scheduleReminders: false });
  }

  private async handle(
    envelope: Envelope<Appointment>,
    topic: string,
    fact: BookingFact,
    kind: MessageKind,
    plan: { dropReminders: boolean; scheduleReminders: boolean },
  ): Promise<void> {
    if (!this.filter.serves(envelope.companyId)) return;
    const a = envelope.data;
    const companyId = envelope.companyId;
    if (!companyId) return this.reject(topic, 'company', 'companyId: missing on the envelope; the message cannot be attributed to a company');
    const startsAt = new Date(a.startsAt);
    const endsAt = new Date(a.endsAt);
    if (Number.isNaN(startsAt.getTime()) || !(endsAt.getTime() > startsAt.getTime())) {
      return this.reject(topic, 'bad_date', `startsAt/endsAt: impossible appointment time ${a.startsAt} – ${a.endsAt}`);
    }
    if (!isTimeZone(a.timeZone)) return this.reject(topic, 'bad_time_zone', `timeZone: unknown time zone "${a.timeZone}"`);

    const policy = await this.policies.forCompany(companyId, a.timeZone);
    const email = policy.email ? a.customer.email : null;
    if (!a.customer.phone && !email) return this.reject(topic, 'no_phone', `customer.phone: missing for appointment ${a.appointmentId}; no message can be sent`);
    const eventAt = new Date(envelope.time);
    const now = new Date();
    const vars = { customer_name: a.customer.name, service_name: a.serviceName, company_name: policy.companyName };

    const planned: NewMessage[] = [];
    const immediate = kind !== 'confirmation' || policy.confirmation;
    const text = immediate
      ? await this.composer.compose({ companyId, kind, language: a.customer.language, companyLanguage: policy.language, timeZone: policy.timeZone, startsAt, vars })
      : null;
    const dedupeKey = kind === 'reschedule' ? `${a.appointmentId}:reschedule:${startsAt.getTime()}` : `${a.appointmentId}:${kind}`;
    const notice = { id: '', companyId, appointmentId: a.appointmentId, kind, dueAt: now, appointmentStartsAt: startsAt, eventAt, timeZone: policy.timeZone };
    if (a.customer.phone) {
      const common = { companyId, appointmentId: a.appointmentId, channel: policy.channel, toNumber: a.customer.phone, sender: policy.sender, timeZone: policy.timeZone };
      if (text) planned.push({ ...notice, ...common, id: randomUUID(), dedupeKey, language: text.language, body: text.body });
      if (plan.scheduleReminders) planned.push(...(await this.reminders(a, policy, common, vars, startsAt, now)));
    }
    // The e-mail is the same notice with the calendar invitation; its own dedupe key keeps it once per fact too.
    if (text && email) planned.push(this.emails.plan({ ...notice, id: randomUUID(), dedupeKey: `${dedupeKey}:email`, language: text.language, body: text.body }, a, email, endsAt, policy.companyName));

    // Idempotent without an inbox row: every message has its dedupe key, so a redelivered fact inserts nothing new.
    // Order: the three topics are consumed concurrently, so under the appointment's state row a fact is applied only
    // if it is newer than the last one applied (appointment-states.ts); a stale, reordered or replayed fact, and
    // anything after a cancellation, changes nothing. A cancellation also withdraws notices not yet sent.
    const incoming: IncomingFact = { fact, version: a.version ?? null, at: eventAt };
    const result = await this.dataSource.transaction(async (manager) => {
      if (fact === 'created') {
        if (!(await this.states.recordFirst(manager, companyId, a.appointmentId, incoming))) return null;
      } else {
        const state = await this.states.lock(manager, companyId, a.appointmentId);
        if (!isNewer(state, incoming)) return null;
        await this.states.record(manager, companyId, a.appointmentId, state, incoming);
      }
      return {
        dropped: plan.dropReminders ? await this.messages.dropPendingReminders(manager, companyId, a.appointmentId) : 0,
        withdrawn: fact === 'cancelled' ? await this.messages.withdrawPendingNotices(manager, companyId, a.appointmentId) : 0,
        inserted: await this.messages.insert(manager, planned),
      };
    });
    if (!result) {
      notificationsSkipped().inc({ kind, reason: 'stale_event' });
      this.logger.info({ companyId, appointmentId: a.appointmentId, fact, version: incoming.version }, 'booking fact older than the state applied; ignored');
      return;
    }
    this.logger.debug({ companyId, appointmentId: a.appointmentId, kind, ...result }, 'booking event turned into messages');
    if (result.inserted > 0) this.dispatcher.wake();
  }

  private async reminders(
    a: Appointment,
    policy: CompanyPolicy,
    common: Pick<NewMessage, 'companyId' | 'appointmentId' | 'channel' | 'toNumber' | 'sender' | 'timeZone'>,
    vars: { customer_name: string; service_name: string; company_name: string | null },
    startsAt: Date,
    now: Date,
  ): Promise<NewMessage[]> {
    const out: NewMessage[] = [];
    const dues = new Set<number>();
    let text: { language: string; body: string } | undefined;
    for (const minutes of [...new Set(policy.remindersMinutesBefore)].sort((x, y) => y - x)) {
      const nominal = new Date(startsAt.getTime() - minutes * 60_000);
      // A reminder whose moment has passed (booked at short notice) is not sent late: the confirmation covers it.
      if (nominal.getTime() <= now.getTime()) continue;
      const due = afterQuietHours(nominal, policy.quietHours, policy.timeZone);
      if (due.getTime() >= startsAt.getTime() || dues.has(due.getTime())) {
        notificationsSkipped().inc({ kind: 'reminder', reason: 'quiet_hours' });
        continue;
      }
      dues.add(due.getTime());
      // Every reminder of one appointment reads the same.
      text ??= await this.composer.compose({
        companyId: common.companyId,
        kind: 'reminder',
        language: a.customer.language,
        companyLanguage: policy.language,
        timeZone: policy.timeZone,
        startsAt,
        vars,
      });
      out.push({
        ...common,
        id: randomUUID(),
        kind: 'reminder',
        dedupeKey: `${a.appointmentId}:reminder:${minutes}:${startsAt.getTime()}`,
        language: text.language,
        body: text.body,
        dueAt: due,
        appointmentStartsAt: startsAt,
        eventAt: null,
      });
    }
    return out;
  }

  private reject(topic: string, reason: string, message: string): never {
    notificationEventsRejected().inc({ topic, reason });
    this.logger.warn({ topic, reason }, message);
    throw new PermanentMessageError(message, reason);
  }
}
