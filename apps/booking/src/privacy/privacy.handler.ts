import { Inject, Injectable, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope, PrivacySubject, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, OnRequest, PrivacyStore, answerPrivacyExport, applyPrivacyErasure } from '@receptionist/service-runtime';
import { BookingCommonModule } from '../common/common.module';
import { CompanyFilter } from '../common/company-filter';

/** What an erased customer is called from then on (the record stays: appointments and ledger refer to it). */
export const ERASED_NAME = 'Erased customer';

/**
 * A caller's data in booking: the customer record (and records merged into it), their appointments with their
 * history, and callback requests left from their number. Erasure keeps the rows (slots, counts and accounting
 * refer to them) and removes what identifies the person: name, phone, e-mail, free-text notes.
 */
@Injectable()
export class BookingPrivacyHandler implements PrivacyStore {
  readonly service = 'booking' as const;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.privacyExportBooking.name)
  onExport(envelope: Envelope) {
    return answerPrivacyExport(this, envelope, (c) => !!c && this.companies.serves(c), this.logger);
  }

  @OnEvent(Topics.privacyErasureRequested.name)
  onErasure(envelope: Envelope) {
    return applyPrivacyErasure(this, { inbox: this.inbox, outbox: this.outbox, wake: () => this.runtime.relay.wake(), serves: (c) => !!c && this.companies.serves(c), logger: this.logger }, envelope);
  }

  async export(s: PrivacySubject) {
    const db = this.dataSource;
    const customers = await db.query('SELECT * FROM customer WHERE company_id = ? AND (id = ? OR merged_into = ?)', [s.companyId, s.customerId, s.customerId]);
    const ids = customers.map((c: { id: string }) => c.id);
    const appointments = ids.length ? await db.query('SELECT * FROM appointment WHERE company_id = ? AND customer_id IN (?) ORDER BY starts_at', [s.companyId, ids]) : [];
    const appointmentIds = appointments.map((a: { id: string }) => a.id);
    const changes = appointmentIds.length ? await db.query('SELECT * FROM appointment_change WHERE company_id = ? AND appointment_id IN (?) ORDER BY created_at', [s.companyId, appointmentIds]) : [];
    const callbacks = s.phones.length ? await db.query('SELECT * FROM callback_request WHERE company_id = ? AND phone IN (?) ORDER BY created_at', [s.companyId, s.phones]) : [];
    return { service: this.service, sections: { customers, appointments, appointmentChanges: changes, callbackRequests: callbacks } };
  }

  async erase(m: EntityManager, s: PrivacySubject) {
    const now = new Date();
    const customers = await m.query(
      'UPDATE customer SET name = ?, phone = NULL, email = NULL, updated_at = ? WHERE company_id = ? AND (id = ? OR merged_into = ?)',
      [ERASED_NAME, now, s.companyId, s.customerId, s.customerId],
    );
    const appointments = await m.query(
      `UPDATE appointment SET notes = NULL, cancellation_reason = NULL, updated_at = ?
        WHERE company_id = ? AND customer_id IN (SELECT id FROM customer WHERE company_id = ? AND (id = ? OR merged_into = ?))`,
      [now, s.companyId, s.companyId, s.customerId, s.customerId],
    );
    const callbacks = s.phones.length
      ? await m.query(`UPDATE callback_request SET name = NULL, phone = NULL, wish = '', note = NULL WHERE company_id = ? AND phone IN (?)`, [s.companyId, s.phones])
      : { affectedRows: 0 };
    return { customers: customers.affectedRows ?? 0, appointments: appointments.affectedRows ?? 0, callbackRequests: callbacks.affectedRows ?? 0 };
  }
}

@Module({ imports: [BookingCommonModule], providers: [BookingPrivacyHandler] })
export class BookingPrivacyModule {}
