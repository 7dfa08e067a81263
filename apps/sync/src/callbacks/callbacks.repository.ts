import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type SubscriptionStatus = 'active' | 'disabled' | 'deleted';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface SubscriptionRow {
  id: string;
  companyId: string;
  url: string;
  events: string[];
  description: string | null;
  secretCiphertext: string;
  /** The secret before the last rotation, still signing beside the new one until `previousSecretExpiresAt`. */
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
  status: SubscriptionStatus;
  disabledReason: string | null;
  createdAt: Date;
}

export interface DeliveryRow {
  id: string;
  subscriptionId: string;
  companyId: string;
  eventId: string;
  eventType: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  dueAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface NewDelivery {
  id: string;
  subscriptionId: string;
  companyId: string;
  eventId: string;
  eventType: string;
  payload: string;
  dueAt: Date;
}

const SUBSCRIPTION_COLUMNS =
  'id, company_id, url, events, description, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at, status, disabled_reason, created_at';
const DELIVERY_COLUMNS =
  'id, subscription_id, company_id, event_id, event_type, payload, status, attempts, due_at, last_status_code, last_error, last_attempt_at, delivered_at, created_at';

const subscription = (r: Record<string, any>): SubscriptionRow => ({
  id: r.id,
  companyId: r.company_id,
  url: r.url,
  // MariaDB reports a JSON_VALID-checked column as JSON, which mysql2 already parses.
  events: typeof r.events === 'string' ? JSON.parse(r.events) : r.events,
  description: r.description,
  secretCiphertext: r.secret_ciphertext,
  previousSecretCiphertext: r.previous_secret_ciphertext,
  previousSecretExpiresAt: r.previous_secret_expires_at ? new Date(r.previous_secret_expires_at) : null,
  status: r.status,
  disabledReason: r.disabled_reason,
  createdAt: new Date(r.created_at),
});

const delivery = (r: Record<string, any>): DeliveryRow => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  companyId: r.company_id,
  eventId: r.event_id,
  eventType: r.event_type,
  payload: r.payload,
  status: r.status,
  attempts: Number(r.attempts),
  dueAt: new Date(r.due_at),
  lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at ? new Date(r.last_attempt_at) : null,
  deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
  createdAt: new Date(r.created_at),
});

/** Subscriptions and deliveries; every read and change of a tenant's rows names its company. */
@Injectable()
export class CallbacksRepository {
  constructor(private readonly dataSource: DataSource) {}

  async countLive(manager: EntityManager, companyId: string): Promise<number> {
    const [row] = await manager.query(`SELECT COUNT(*) AS n FROM callback_subscription WHERE company_id = ? AND status <> 'deleted' FOR UPDATE`, [companyId]);
    return Number(row.n);
  }

  async insertSubscription(manager: EntityManager, s: Omit<SubscriptionRow, 'status' | 'disabledReason' | 'previousSecretCiphertext' | 'previousSecretExpiresAt'>): Promise<void> {
    await manager.query(
      `INSERT INTO callback_subscription (id, company_id, url, events, description, secret_ciphertext, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?)`,
      [s.id, s.companyId, s.url, JSON.stringify(s.events), s.description, s.secretCiphertext, s.createdAt],
    );
  }

  async listSubscriptions(companyId: string): Promise<SubscriptionRow[]> {
    const rows = await this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM callback_subscription WHERE company_id = ? AND status <> 'deleted' ORDER BY created_at, id`,
      [companyId],
    );
    return rows.map(subscription);
  }

  async findSubscription(companyId: string, id: string, manager: EntityManager = this.dataSource.manager): Promise<SubscriptionRow | null> {
    const rows = await manager.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM callback_subscription WHERE company_id = ? AND id = ? AND status <> 'deleted'`, [companyId, id]);
    return rows[0] ? subscription(rows[0]) : null;
  }

  /** Active subscriptions of a company that want this event type. */
  async subscribersOf(companyId: string, eventType: string): Promise<SubscriptionRow[]> {
    const rows = await this.dataSource.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM callback_subscription WHERE company_id = ? AND status = 'active'`, [companyId]);
    return rows.map(subscription).filter((s: SubscriptionRow) => s.events.includes(eventType));
  }

  async subscriptionsByIds(ids: string[]): Promise<Map<string, SubscriptionRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource.query(`SELECT ${SUBSCRIPTION_COLUMNS} FROM callback_subscription WHERE id IN (?)`, [ids]);
    return new Map(rows.map((r: Record<string, any>) => [r.id, subscription(r)]));
  }

  /** Deleted: no more deliveries; those still waiting end as failed ("subscription deleted"), the log stays. */
  async deleteSubscription(companyId: string, id: string, now: Date): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.query(`UPDATE callback_subscription SET status = 'deleted', deleted_at = ? WHERE company_id = ? AND id = ? AND status <> 'deleted'`, [
        now,
        companyId,
        id,
      ]);
      if (!result.affectedRows) return false;
      await manager.query(`UPDATE callback_delivery SET status = 'failed', claimed_by = NULL, last_error = 'subscription deleted' WHERE subscription_id = ? AND status = 'pending'`, [id]);
      return true;
    });
  }

  /** The new secret signs from now on; the current one keeps signing beside it until `previousUntil` (null: not at all). */
  async rotateSecret(companyId: string, id: string, secretCiphertext: string, previousUntil: Date | null): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE callback_subscription
          SET previous_secret_ciphertext = IF(? IS NULL, NULL, secret_ciphertext), previous_secret_expires_at = ?, secret_ciphertext = ?
        WHERE company_id = ? AND id = ? AND status <> 'deleted'`,
      [previousUntil, previousUntil, secretCiphertext, companyId, id],
    );
    return result.affectedRows > 0;
  }

  /** The receiver said the endpoint is gone (410): nothing more is sent until the company subscribes again. */
  async disableSubscription(id: string, reason: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE callback_subscription SET status = 'disabled', disabled_reason = ? WHERE id = ? AND status = 'active'`, [reason.slice(0, 300), id]);
      await manager.query(`UPDATE callback_delivery SET status = 'failed', claimed_by = NULL, last_error = 'subscription disabled' WHERE subscription_id = ? AND status = 'pending'`, [id]);
    });
  }

  /** One INSERT IGNORE: a delivery already there for (subscription, event) stays as it is. Returns how many were new. */
  async insertDeliveries(rows: NewDelivery[], now: Date): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.dataSource.query(
      `INSERT IGNORE INTO callback_delivery (id, subscription_id, company_id, event_id, event_type, payload, status, attempts, due_at, created_at) VALUES ?`,
      [rows.map((r) => [r.id, r.subscriptionId, r.companyId, r.eventId, r.eventType, r.payload, 'pending', 0, r.dueAt, now])],
    );
    return result.affectedRows ?? 0;
  }

  /**
   * Claims due deliveries for this instance (`FOR UPDATE SKIP LOCKED`: instances claim side by side). The claim is a
   * lease: `due_at` moves to its end, so a delivery whose instance died mid-send is due again then.
   */
  async claimDue(instanceId: string, now: Date, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const ids: { id: string }[] = await manager.query(
        `SELECT id FROM callback_delivery WHERE status = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      if (ids.length === 0) return [];
      const list = ids.map((r) => r.id);
      await manager.query(`UPDATE callback_delivery SET claimed_by = ?, due_at = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id IN (?)`, [
        instanceId,
        new Date(now.getTime() + leaseMs),
        now,
        list,
      ]);
      const rows = await manager.query(`SELECT ${DELIVERY_COLUMNS} FROM callback_delivery WHERE id IN (?)`, [list]);
      return rows.map(delivery);
    });
  }

  /** Records one attempt's outcome, only while this instance still holds the claim. */
  async recordAttempt(
    id: string,
    instanceId: string,
    outcome: { status: DeliveryStatus; statusCode: number | null; error: string | null; dueAt: Date; deliveredAt: Date | null },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE callback_delivery SET status = ?, last_status_code = ?, last_error = ?, due_at = ?, delivered_at = ?, claimed_by = NULL
        WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
      [outcome.status, outcome.statusCode, outcome.error?.slice(0, 500) ?? null, outcome.dueAt, outcome.deliveredAt, id, instanceId],
    );
  }

  /** Newest first; the cursor is `<createdAt ms>_<id>` of the last row of the previous page. */
  async listDeliveries(companyId: string, subscriptionId: string, q: { status?: DeliveryStatus; limit: number; cursor?: { at: Date; id: string } }): Promise<DeliveryRow[]> {
    const where = ['company_id = ?', 'subscription_id = ?'];
    const params: unknown[] = [companyId, subscriptionId];
    if (q.status) {
      where.push('status = ?');
      params.push(q.status);
    }
    if (q.cursor) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(q.cursor.at, q.cursor.at, q.cursor.id);
    }
    const rows = await this.dataSource.query(`SELECT ${DELIVERY_COLUMNS} FROM callback_delivery WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`, [
      ...params,
      q.limit,
    ]);
    return rows.map(delivery);
  }

  /** A new attempt series for one delivery (same webhook id, so the receiver still dedupes). */
  async requeue(companyId: string, subscriptionId: string, deliveryId: string, now: Date): Promise<DeliveryRow | null> {
    await this.dataSource.query(
      `UPDATE callback_delivery SET status = 'pending', attempts = 0, due_at = ?, claimed_by = NULL, delivered_at = NULL
        WHERE company_id = ? AND subscription_id = ? AND id = ? AND status <> 'pending'`,
      [now, companyId, subscriptionId, deliveryId],
    );
    const rows = await this.dataSource.query(`SELECT ${DELIVERY_COLUMNS} FROM callback_delivery WHERE company_id = ? AND subscription_id = ? AND id = ?`, [
      companyId,
      subscriptionId,
      deliveryId,
    ]);
    return rows[0] ? delivery(rows[0]) : null;
  }
}
