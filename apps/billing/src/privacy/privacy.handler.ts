import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope, PrivacySubject, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, OnRequest, PrivacyStore, SERVICE_CONFIG, answerPrivacyExport, applyPrivacyErasure, companyScope } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';

/**
 * A caller in billing is only references: the usage charges of their calls and the ledger entries those were
 * posted as (`call:<callId>:…`). Accounting entries are kept as they are (append-only, and they name a call id,
 * never a person): erasure changes nothing here and says so (`kept`), so the erasure completes.
 */
@Injectable()
export class BillingPrivacyHandler implements PrivacyStore {
  readonly service = 'billing' as const;
  private readonly serves: (companyId: string | null) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.serves = companyScope(config.BILLING_SERVE_COMPANIES);
  }

  @OnRequest(Topics.privacyExportBilling.name)
  onExport(envelope: Envelope) {
    return answerPrivacyExport(this, envelope, this.serves, this.logger);
  }

  @OnEvent(Topics.privacyErasureRequested.name)
  onErasure(envelope: Envelope) {
    return applyPrivacyErasure(this, { inbox: this.inbox, outbox: this.outbox, wake: () => this.runtime.relay.wake(), serves: this.serves, logger: this.logger }, envelope);
  }

  private async rows(db: DataSource | EntityManager, s: PrivacySubject) {
    if (!s.callIds.length) return { usageCharges: [], ledgerEntries: [] };
    const usageCharges = await db.query('SELECT call_id, kind, period, quantity, amount_minor, currency, status, ledger_seq, occurred_at FROM usage_charge WHERE company_id = ? AND call_id IN (?) ORDER BY occurred_at', [s.companyId, s.callIds]);
    const refs = s.callIds.flatMap((id) => [`call:${id}:talk_time`, `call:${id}:booking_fee`]);
    const ledgerEntries = await db.query('SELECT seq, kind, amount_minor, currency, reference, description, occurred_at FROM ledger_entry WHERE company_id = ? AND reference IN (?) ORDER BY seq', [s.companyId, refs]);
    return { usageCharges, ledgerEntries };
  }

  async export(s: PrivacySubject) {
    return { service: this.service, sections: await this.rows(this.dataSource, s) };
  }

  async erase(m: EntityManager, s: PrivacySubject) {
    const { usageCharges, ledgerEntries } = await this.rows(m, s);
    return { usageChargesKept: usageCharges.length, ledgerEntriesKept: ledgerEntries.length };
  }
}
