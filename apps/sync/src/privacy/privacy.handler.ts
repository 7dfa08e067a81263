import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope, PrivacySubject, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, OnRequest, PrivacyStore, SERVICE_CONFIG, answerPrivacyExport, applyPrivacyErasure, companyScope } from '@receptionist/service-runtime';
import type { SyncEnv } from '../config';

/**
 * A caller's data in sync: the callback deliveries (to the company's own systems) whose payload names them — an
 * appointment, a call, the customer id or number. Erasure replaces such payloads by a marker; the delivery rows
 * (status, attempts) stay for the company's delivery log.
 */
@Injectable()
export class SyncPrivacyHandler implements PrivacyStore {
  readonly service = 'sync' as const;
  private readonly serves: (companyId: string | null) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) config: SyncEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.serves = companyScope(config.SYNC_SERVE_COMPANIES);
  }

  @OnRequest(Topics.privacyExportSync.name)
  onExport(envelope: Envelope) {
    return answerPrivacyExport(this, envelope, this.serves, this.logger);
  }

  @OnEvent(Topics.privacyErasureRequested.name)
  onErasure(envelope: Envelope) {
    return applyPrivacyErasure(this, { inbox: this.inbox, outbox: this.outbox, wake: () => this.runtime.relay.wake(), serves: this.serves, logger: this.logger }, envelope);
  }

  /** Payload search by the identifiers (JSON text): the company's deliveries are few enough for a scan per request. */
  private where(s: PrivacySubject) {
    const needles = [s.customerId, ...s.phones, ...s.emails, ...s.appointmentIds, ...s.callIds].map((n) => `%"${n.replace(/[\\%_"]/g, '')}"%`);
    return { sql: `company_id = ? AND (${needles.map(() => 'payload LIKE ?').join(' OR ')})`, params: [s.companyId, ...needles] };
  }

  async export(s: PrivacySubject) {
    const w = this.where(s);
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT id, subscription_id, event_id, event_type, payload, status, attempts, last_status_code, delivered_at, created_at FROM callback_delivery WHERE ${w.sql} ORDER BY created_at`,
      w.params,
    );
    return { service: this.service, sections: { callbackDeliveries: rows.map((r) => ({ ...r, payload: parse(String(r.payload)) })) } };
  }

  async erase(m: EntityManager, s: PrivacySubject) {
    const w = this.where(s);
    const res = await m.query(`UPDATE callback_delivery SET payload = ? WHERE ${w.sql}`, [JSON.stringify({ erased: true }), ...w.params]);
    return { callbackDeliveries: res.affectedRows ?? 0 };
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
