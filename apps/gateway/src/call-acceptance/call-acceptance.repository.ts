import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Why a company's new calls are refused. */
export type RefusalReason = 'balance_exhausted';

export interface CallAcceptance {
  refusing: boolean;
  reason: RefusalReason | null;
}

export interface AcceptanceChange extends CallAcceptance {
  companyId: string;
  balance: number | null;
  currency: string | null;
  /** The billing fact that decided it (its envelope id and time). */
  eventId: string;
  eventTime: Date;
}

/** The gateway's own record of whether each company's inbound calls are taken (table `call_acceptance`). */
@Injectable()
export class CallAcceptanceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * No row: the company's calls are taken. Read per inbound call, so every gateway instance agrees at once. If the
   * database cannot answer, the call is taken (a database blip must not turn callers away; the usage is still billed).
   */
  async of(companyId: string): Promise<CallAcceptance & { unknown?: true }> {
    try {
      const rows: { refusing: number; reason: RefusalReason | null }[] = await this.dataSource.query('SELECT refusing, reason FROM call_acceptance WHERE company_id = ?', [companyId]);
      return rows[0] ? { refusing: !!rows[0].refusing, reason: rows[0].reason } : { refusing: false, reason: null };
    } catch {
      return { refusing: false, reason: null, unknown: true };
    }
  }

  /**
   * Records a change unless a later fact already decided (billing's facts of one company arrive in order on one
   * partition; the time check keeps an older one replayed after a newer one from undoing it). True if applied.
   */
  async apply(manager: EntityManager, change: AcceptanceChange): Promise<boolean> {
    const result: { affectedRows?: number } = await manager.query(
      `INSERT INTO call_acceptance (company_id, refusing, reason, balance_minor, currency, event_id, event_time, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         refusing = IF(VALUES(event_time) >= event_time, VALUES(refusing), refusing),
         reason = IF(VALUES(event_time) >= event_time, VALUES(reason), reason),
         balance_minor = IF(VALUES(event_time) >= event_time, VALUES(balance_minor), balance_minor),
         currency = IF(VALUES(event_time) >= event_time, VALUES(currency), currency),
         event_id = IF(VALUES(event_time) >= event_time, VALUES(event_id), event_id),
         updated_at = IF(VALUES(event_time) >= event_time, VALUES(updated_at), updated_at),
         event_time = GREATEST(VALUES(event_time), event_time)`,
      [change.companyId, change.refusing ? 1 : 0, change.reason, change.balance, change.currency, change.eventId, change.eventTime, new Date()],
    );
    return (result.affectedRows ?? 0) > 0;
  }
}
