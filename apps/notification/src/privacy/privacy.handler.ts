import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope, PrivacySubject, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, OnRequest, PrivacyStore, answerPrivacyExport, applyPrivacyErasure } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';

/** Replaces an erased recipient (the column is required; delivery statistics keep the row). */
const ERASED_RECIPIENT = 'erased';

/**
 * A caller's data in notification: messages to their numbers or about their appointments (with delivery status),
 * and their opt-outs. Erasure blanks the recipient and the text of the messages; opt-outs
 * are kept (they are the caller's objection, which must keep holding) and counted as kept.
 */
@Injectable()
export class NotificationPrivacyHandler implements PrivacyStore {
  readonly service = 'notification' as const;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.privacyExportNotification.name)
  onExport(envelope: Envelope) {
    return answerPrivacyExport(this, envelope, (c) => this.companies.serves(c), this.logger);
  }

  @OnEvent(Topics.privacyErasureRequested.name)
  onErasure(envelope: Envelope) {
    return applyPrivacyErasure(this, { inbox: this.inbox, outbox: this.outbox, wake: () => this.runtime.relay.wake(), serves: (c) => this.companies.serves(c), logger: this.logger }, envelope);
  }

  private where(s: PrivacySubject) {
    return {
      sql: 'company_id = ? AND (to_number IN (?) OR appointment_id IN (?))',
      // Appointment e-mails are addressed to the customer's e-mail address (channel `email`).
      params: [s.companyId, [...s.phones, ...s.emails].length ? [...s.phones, ...s.emails] : ['-'], s.appointmentIds.length ? s.appointmentIds : ['-']],
    };
  }

  async export(s: PrivacySubject) {
    const w = this.where(s);
    const phones = [...s.phones, ...s.emails].length ? [...s.phones, ...s.emails] : ['-'];
    const messages = await this.dataSource.query(
      `SELECT id, appointment_id, kind, channel, to_number, language, subject, body, status, due_at, sent_at, error_code, error_message, event_at, created_at
         FROM notification_message WHERE ${w.sql} ORDER BY created_at`,
      w.params,
    );
    const optOuts = await this.dataSource.query('SELECT * FROM notification_opt_out WHERE company_id = ? AND phone IN (?)', [s.companyId, phones]);
    // STOP/START keywords are kept per number across companies (a shared sender), so not a company's to export.
    return { service: this.service, sections: { messages, optOuts } };
  }

  async erase(m: EntityManager, s: PrivacySubject) {
    const w = this.where(s);
    const messages = await m.query(`UPDATE notification_message SET to_number = ?, body = '', subject = NULL, ics = NULL, error_message = NULL, updated_at = ? WHERE ${w.sql}`, [ERASED_RECIPIENT, new Date(), ...w.params]);
    const phones = [...s.phones, ...s.emails].length ? [...s.phones, ...s.emails] : ['-'];
    const [{ n }] = await m.query('SELECT COUNT(*) AS n FROM notification_opt_out WHERE company_id = ? AND phone IN (?)', [s.companyId, phones]);
    return { messages: messages.affectedRows ?? 0, optOutsKept: Number(n) };
  }
}
