import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Why a company's new calls are refused. */
export type RefusalReason = 'balance_exhausted' | 'plan_unpaid';

export interface CallAcceptance {
  refusing: boolean;
  reason: RefusalReason | null;
  /** The company's own words for callers (an unpaid plan's refusal); null: the platform's default. */
  message?: string | null;
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
      const rows: { refusing: number; reason: RefusalReason | null; plan_refusing: number; plan_message: string | null }[] = await this.dataSource.query(
        'SELECT refusing, reason, plan_refusing, plan_message FROM call_acceptance WHERE company_id = ?',
        [companyId],
      );
      const r = rows[0];
      if (!r) return { refusing: false, reason: null };
      // An unpaid plan is named first: paying it (not a top-up) is what the company has to do.
      if (r.plan_refusing) return { refusing: true, reason: 'plan_unpaid', message: r.plan_message };
      return { refusing: !!r.refusing, reason: r.reason };
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

  /** Records an unpaid plan's refusal (or its end) unless a later plan fact already decided. True if applied. */
  async applyPlan(manager: EntityManager, change: { companyId: string; refusing: boolean; message: string | null; eventId: string; eventTime: Date }): Promise<boolean> {
    const result: { affectedRows?: number } = await manager.query(
      `INSERT INTO call_acceptance (company_id, refusing, reason, balance_minor, currency, event_id, event_time, updated_at, plan_refusing, plan_message, plan_event_time)
       VALUES (?, 0, NULL, NULL, NULL, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         plan_refusing = IF(plan_event_time IS NULL OR VALUES(plan_event_time) >= plan_event_time, VALUES(plan_refusing), plan_refusing),
         plan_message = IF(plan_event_time IS NULL OR VALUES(plan_event_time) >= plan_event_time, VALUES(plan_message), plan_message),
         plan_event_time = IF(plan_event_time IS NULL, VALUES(plan_event_time), GREATEST(VALUES(plan_event_time), plan_event_time))`,
      // A row made by a plan fact carries the epoch as its balance fact's time: any balance fact is newer.
      [change.companyId, change.eventId, new Date(0), new Date(), change.refusing ? 1 : 0, change.message, change.eventTime],
    );
    return (result.affectedRows ?? 0) > 0;
  }
}
