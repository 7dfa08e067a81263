import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { AlertChannelName, AlertMessage } from './alert-channel';
import type { AlertTexts } from './alert-texts';

export interface NewAlert {
  /** '' when the alert is about no company. */
  companyId: string;
  kind: string;
  dedupeKey: string;
  texts: AlertTexts;
  details: Record<string, unknown>;
}

export interface NewDelivery {
  channel: AlertChannelName;
  recipient: string;
  /** `skipped` (with the reason) when the channel is not configured. */
  status: 'pending' | 'skipped';
  error: string | null;
}

export interface ClaimedDelivery {
  id: string;
  channel: AlertChannelName;
  recipient: string;
  attempts: number;
  alert: AlertMessage;
}

export interface FailureStreak {
  failures: number;
  startedAt: Date;
  lastFailedAt: Date;
  alerted: boolean;
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** `notification_alert`, its deliveries and the per-company failure streak (migration 1732800000000). */
@Injectable()
export class AlertsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts the alert unless its dedupe key is known for the company; returns its id, or null for a duplicate. */
  async insertAlert(manager: EntityManager, alert: NewAlert, at: Date): Promise<string | null> {
    const id = randomUUID();
    const result: { affectedRows?: number } = await manager.query(
      `INSERT INTO notification_alert (id, company_id, kind, dedupe_key, subject, body, details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
      [id, alert.companyId, alert.kind, alert.dedupeKey.slice(0, 200), alert.texts.subject.slice(0, 200), alert.texts.body,
        JSON.stringify({ ...alert.details, operatorText: alert.texts.operatorText }), at],
    );
    return result.affectedRows === 1 ? id : null;
  }

  async insertDeliveries(manager: EntityManager, alertId: string, companyId: string, deliveries: NewDelivery[], at: Date): Promise<void> {
    if (deliveries.length === 0) return;
    await manager.query(
      `INSERT INTO notification_alert_delivery (id, alert_id, company_id, channel, recipient, status, attempts, due_at, error, created_at, updated_at)
       VALUES ${deliveries.map(() => '(?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE id = id`,
      deliveries.flatMap((d) => [randomUUID(), alertId, companyId, d.channel, d.recipient, d.status, at, d.error, at, at]),
    );
  }

  /**
   * Claims due deliveries for this instance (`FOR UPDATE SKIP LOCKED`, as for customer messages): each is attempted
   * by one instance; one whose claim outlived a crashed instance is due again after the lease.
   */
  async claimDue(instanceId: string, now: Date, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const rows: { id: string }[] = await manager.query(
        `SELECT id FROM notification_alert_delivery WHERE status IN ('pending', 'sending') AND due_at <= ? ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      await manager.query(
        `UPDATE notification_alert_delivery SET status = 'sending', claimed_by = ?, attempts = attempts + 1, due_at = ?, updated_at = ? WHERE id IN (?)`,
        [instanceId, new Date(now.getTime() + leaseMs), now, ids],
      );
      const claimed: {
        id: string; channel: AlertChannelName; recipient: string; attempts: number; alertId: string; companyId: string; kind: string; subject: string; body: string; details: unknown;
      }[] = await manager.query(
        `SELECT d.id, d.channel, d.recipient, d.attempts, a.id AS alertId, a.company_id AS companyId, a.kind, a.subject, a.body, a.details
           FROM notification_alert_delivery d JOIN notification_alert a ON a.id = d.alert_id WHERE d.id IN (?)`,
        [ids],
      );
      return claimed.map((r) => ({
        id: r.id,
        channel: r.channel,
        recipient: r.recipient,
        attempts: r.attempts,
        alert: { alertId: r.alertId, companyId: r.companyId, kind: r.kind, subject: r.subject, body: r.body, operatorText: json<{ operatorText: string }>(r.details).operatorText },
      }));
    });
  }

  async finish(id: string, instanceId: string, outcome: { status: 'sent' | 'failed' | 'pending'; error: string | null; dueAt?: Date }): Promise<void> {
    const now = new Date();
    await this.dataSource.query(
      `UPDATE notification_alert_delivery SET status = ?, error = ?, claimed_by = NULL, due_at = ?, updated_at = ?, sent_at = IF(? = 'sent', ?, sent_at)
        WHERE id = ? AND status = 'sending' AND claimed_by = ?`,
      [outcome.status, outcome.error?.slice(0, 500) ?? null, outcome.dueAt ?? now, now, outcome.status, now, id, instanceId],
    );
  }

  /** The company's failure streak, locked for this transaction (created empty if there is none yet). */
  async lockStreak(manager: EntityManager, companyId: string, at: Date): Promise<FailureStreak> {
    await manager.query(
      `INSERT INTO notification_failure_streak (company_id, failures, started_at, last_failed_at, alerted) VALUES (?, 0, ?, ?, 0)
       ON DUPLICATE KEY UPDATE company_id = company_id`,
      [companyId, at, at],
    );
    const [row]: { failures: number; started_at: Date; last_failed_at: Date; alerted: number }[] = await manager.query(
      'SELECT failures, started_at, last_failed_at, alerted FROM notification_failure_streak WHERE company_id = ? FOR UPDATE',
      [companyId],
    );
    return { failures: row.failures, startedAt: new Date(row.started_at), lastFailedAt: new Date(row.last_failed_at), alerted: Boolean(row.alerted) };
  }

  async saveStreak(manager: EntityManager, companyId: string, streak: FailureStreak): Promise<void> {
    await manager.query('UPDATE notification_failure_streak SET failures = ?, started_at = ?, last_failed_at = ?, alerted = ? WHERE company_id = ?', [
      streak.failures,
      streak.startedAt,
      streak.lastFailedAt,
      streak.alerted ? 1 : 0,
      companyId,
    ]);
  }

  /** Whether any customer message of the company was accepted by Twilio, and not failed since, after `since`. */
  async sentSince(manager: EntityManager, companyId: string, since: Date): Promise<boolean> {
    const rows = await manager.query(
      `SELECT 1 FROM notification_message WHERE company_id = ? AND sent_at > ? AND status NOT IN ('failed', 'undelivered') LIMIT 1`,
      [companyId, since],
    );
    return rows.length > 0;
  }
}
