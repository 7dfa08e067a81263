import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { MessageKind } from './templates';

/**
 * `scheduled`: waiting for `due_at` (new, a reminder, or a retry); `claimed`: an instance is sending it (`due_at`
 * is then the end of its lease); then Twilio's own statuses as its callbacks report them; `failed` also when we
 * gave up; `skipped`: not sent on purpose (opted out, cancelled, too late).
 */
export type MessageStatus =
  | 'scheduled'
  | 'claimed'
  | 'accepted'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'undelivered'
  | 'failed'
  | 'skipped';

export type MessageChannel = 'sms' | 'whatsapp' | 'email';

export interface NewMessage {
  id: string;
  companyId: string;
  appointmentId: string | null;
  kind: MessageKind;
  dedupeKey: string;
  channel: MessageChannel;
  /** E.164, without `whatsapp:`; the e-mail address for channel `email`. */
  toNumber: string;
  /** E.164 or alphanumeric sender, without `whatsapp:`; empty when none is configured. */
  sender: string;
  language: string;
  timeZone: string;
  body: string;
  dueAt: Date;
  appointmentStartsAt: Date | null;
  eventAt: Date | null;
  /** Channel `email` only: the subject and the `.ics` invitation. */
  subject?: string | null;
  ics?: string | null;
}

export interface MessageRow {
  id: string;
  companyId: string;
  appointmentId: string | null;
  kind: MessageKind;
  channel: MessageChannel;
  toNumber: string;
  sender: string;
  language: string;
  timeZone: string;
  body: string;
  status: MessageStatus;
  dueAt: Date;
  appointmentStartsAt: Date | null;
  attempts: number;
  providerSid: string | null;
  errorCode: string | null;
  eventAt: Date | null;
  sentAt: Date | null;
  subject: string | null;
  ics: string | null;
}

const COLUMNS = `id, company_id AS companyId, appointment_id AS appointmentId, kind, channel, to_number AS toNumber, sender,
  language, time_zone AS timeZone, body, status, due_at AS dueAt, appointment_starts_at AS appointmentStartsAt, attempts,
  provider_sid AS providerSid, error_code AS errorCode, event_at AS eventAt, sent_at AS sentAt, subject, ics`;

/** Twilio's statuses in the order a message moves through them; a callback never moves a message back. */
export const PROVIDER_STATUS_RANK: Record<string, number> = {
  accepted: 1,
  scheduled: 1,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  read: 5,
};

@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Inserts the messages; one whose (company, dedupe key) exists already is left as it is. Returns how many were new. */
  async insert(manager: EntityManager, messages: NewMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const now = new Date();
    const rows = messages.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = messages.flatMap((m) => [
      m.id,
      m.companyId,
      m.appointmentId,
      m.kind,
      m.dedupeKey,
      m.channel,
      m.toNumber,
      m.sender,
      m.language,
      m.timeZone,
      m.body,
      'scheduled',
      m.dueAt,
      m.appointmentStartsAt,
      m.eventAt,
      m.subject ?? null,
      m.ics ?? null,
      now,
      now,
    ]);
    const result = await manager.query(
      `INSERT INTO notification_message
         (id, company_id, appointment_id, kind, dedupe_key, channel, to_number, sender, language, time_zone, body, status, due_at,
          appointment_starts_at, event_at, subject, ics, created_at, updated_at)
       VALUES ${rows}
       ON DUPLICATE KEY UPDATE id = id`,
      params,
    );
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  /** Reminders not yet handed to Twilio for one appointment are dropped (moved or cancelled appointment). */
  async dropPendingReminders(manager: EntityManager, companyId: string, appointmentId: string): Promise<number> {
    const result = await manager.query(
      `DELETE FROM notification_message WHERE company_id = ? AND appointment_id = ? AND kind = 'reminder' AND status = 'scheduled'`,
      [companyId, appointmentId],
    );
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  /** A cancelled appointment's confirmation or change notice not yet handed to Twilio is not sent any more. */
  async withdrawPendingNotices(manager: EntityManager, companyId: string, appointmentId: string): Promise<number> {
    const result = await manager.query(
      `UPDATE notification_message SET status = 'skipped', error_message = 'appointment cancelled', updated_at = ?
        WHERE company_id = ? AND appointment_id = ? AND kind IN ('confirmation', 'reschedule') AND status = 'scheduled'`,
      [new Date(), companyId, appointmentId],
    );
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  /**
   * Claims up to `limit` due messages for this instance: `FOR UPDATE SKIP LOCKED` lets instances claim side by side
   * without waiting on or taking each other's rows. A claim whose lease ran out (its instance died mid-send) is
   * due again, unless a status callback has told us meanwhile that Twilio has the message.
   */
  async claimDue(instanceId: string, now: Date, limit: number, leaseMs: number, onlyChannel?: MessageChannel): Promise<MessageRow[]> {
    // READ COMMITTED: locks only the rows claimed, no gap locks that would hold up the consumer's inserts.
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const ids: { id: string }[] = await manager.query(
        `SELECT id FROM notification_message
          WHERE status IN ('scheduled', 'claimed') AND due_at <= ?${onlyChannel ? ' AND channel = ?' : ''}
          ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED`,
        onlyChannel ? [now, onlyChannel, limit] : [now, limit],
      );
      if (ids.length === 0) return [];
      const list = ids.map((r) => r.id);
      await manager.query(
        `UPDATE notification_message SET status = 'claimed', claimed_by = ?, due_at = ?, attempts = attempts + 1, updated_at = ?
          WHERE id IN (?)`,
        [instanceId, new Date(now.getTime() + leaseMs), now, list],
      );
      return this.byIds(manager, list);
    });
  }

  async byIds(manager: EntityManager, ids: string[]): Promise<MessageRow[]> {
    if (ids.length === 0) return [];
    const rows: MessageRow[] = await manager.query(`SELECT ${COLUMNS} FROM notification_message WHERE id IN (?)`, [ids]);
    return rows.map(normalize);
  }

  /** One message of a company, locked for the caller's transaction. */
  async lockOne(manager: EntityManager, companyId: string, id: string): Promise<MessageRow | null> {
    const rows: MessageRow[] = await manager.query(`SELECT ${COLUMNS} FROM notification_message WHERE company_id = ? AND id = ? FOR UPDATE`, [companyId, id]);
    return rows[0] ? normalize(rows[0]) : null;
  }

  async lockBySid(manager: EntityManager, sid: string): Promise<MessageRow | null> {
    const rows: MessageRow[] = await manager.query(`SELECT ${COLUMNS} FROM notification_message WHERE provider_sid = ? FOR UPDATE`, [sid]);
    return rows[0] ? normalize(rows[0]) : null;
  }

  /**
   * Records Twilio's acceptance of many messages in one statement. The status is set only while this instance still
   * holds the claim: a status callback may have moved the message on already.
   */
  async markAccepted(manager: EntityManager, accepted: { id: string; sid: string; status: string }[], at: Date): Promise<void> {
    if (accepted.length === 0) return;
    const cases = accepted.map(() => 'WHEN ? THEN ?').join(' ');
    await manager.query(
      `UPDATE notification_message
          SET status = IF(status = 'claimed', CASE id ${cases} END, status),
              provider_sid = COALESCE(provider_sid, CASE id ${cases} END),
              sent_at = COALESCE(sent_at, ?), claimed_by = NULL, error_code = NULL, error_message = NULL, updated_at = ?
        WHERE id IN (?)`,
      [...accepted.flatMap((a) => [a.id, a.status]), ...accepted.flatMap((a) => [a.id, a.sid]), at, at, accepted.map((a) => a.id)],
    );
  }

  async reschedule(manager: EntityManager, id: string, dueAt: Date, error: { code: string | null; message: string } | null, undoAttempt = false): Promise<void> {
    await manager.query(
      `UPDATE notification_message
          SET status = 'scheduled', due_at = ?, claimed_by = NULL, error_code = ?, error_message = ?,
              attempts = GREATEST(0, attempts - ?), updated_at = ?
        WHERE id = ? AND status = 'claimed'`,
      [dueAt, error?.code ?? null, error?.message.slice(0, 500) ?? null, undoAttempt ? 1 : 0, new Date(), id],
    );
  }

  async finish(manager: EntityManager, id: string, status: 'failed' | 'skipped', error: { code: string | null; message: string }): Promise<void> {
    await manager.query(
      `UPDATE notification_message SET status = ?, claimed_by = NULL, error_code = ?, error_message = ?, updated_at = ?
        WHERE id = ? AND status = 'claimed'`,
      [status, error.code, error.message.slice(0, 500), new Date(), id],
    );
  }

  async applyProviderStatus(manager: EntityManager, id: string, status: string, sid: string, errorCode: string | null): Promise<void> {
    await manager.query(
      `UPDATE notification_message SET status = ?, provider_sid = COALESCE(provider_sid, ?), error_code = COALESCE(?, error_code),
              sent_at = COALESCE(sent_at, ?), claimed_by = NULL, updated_at = ?
        WHERE id = ?`,
      [status, sid, errorCode, new Date(), new Date(), id],
    );
  }

  // --- opt-outs ---

  /** Records an inbound keyword by its MessageSid; false when that message was applied before (redelivery, replay). */
  async firstKeyword(manager: EntityManager, messageSid: string, phone: string, intent: 'stop' | 'start', keyword: string, at: Date): Promise<boolean> {
    const result = await manager.query(
      `INSERT IGNORE INTO notification_inbound_keyword (message_sid, phone, intent, keyword, received_at) VALUES (?, ?, ?, ?, ?)`,
      [messageSid.slice(0, 64), phone.slice(0, 32), intent, keyword.slice(0, 32), at],
    );
    return ((result as { affectedRows?: number }).affectedRows ?? 0) === 1;
  }

  async optedOut(manager: EntityManager, companyId: string, phones: string[]): Promise<Set<string>> {
    if (phones.length === 0) return new Set();
    const rows: { phone: string }[] = await manager.query(`SELECT phone FROM notification_opt_out WHERE company_id = ? AND phone IN (?)`, [companyId, phones]);
    return new Set(rows.map((r) => r.phone));
  }

  async optOut(manager: EntityManager, companyId: string, phone: string, keyword: string): Promise<void> {
    await manager.query(
      `INSERT INTO notification_opt_out (company_id, phone, keyword, opted_out_at) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE keyword = VALUES(keyword), opted_out_at = VALUES(opted_out_at)`,
      [companyId, phone, keyword.slice(0, 32), new Date()],
    );
  }

  async optIn(manager: EntityManager, companyId: string, phone: string): Promise<void> {
    await manager.query(`DELETE FROM notification_opt_out WHERE company_id = ? AND phone = ?`, [companyId, phone]);
  }

  /** Messages waiting for one number of a company are not sent after an opt-out. */
  async skipPendingFor(manager: EntityManager, companyId: string, phone: string, reason: string): Promise<number> {
    const result = await manager.query(
      `UPDATE notification_message SET status = 'skipped', error_message = ?, updated_at = ?
        WHERE company_id = ? AND to_number = ? AND status = 'scheduled'`,
      [reason, new Date(), companyId, phone],
    );
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  /** Companies that have written to this number from this sender, most recent first: the ones a reply concerns. */
  async companiesMessaging(manager: EntityManager, phone: string, sender: string): Promise<{ companyId: string; language: string; timeZone: string }[]> {
    const rows: { companyId: string; language: string; timeZone: string }[] = await manager.query(
      `SELECT company_id AS companyId, language, time_zone AS timeZone FROM notification_message
        WHERE to_number = ? AND sender = ? ORDER BY created_at DESC LIMIT 500`,
      [phone, sender],
    );
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.companyId) && seen.add(r.companyId));
  }

  /** The company's own templates, `<kind>:<language>` → body. */
  async templateOverrides(companyId: string): Promise<Map<string, string>> {
    const rows: { kind: string; language: string; body: string }[] = await this.dataSource.query(
      `SELECT kind, language, body FROM notification_template WHERE company_id = ?`,
      [companyId],
    );
    return new Map(rows.map((r) => [`${r.kind}:${r.language}`, r.body]));
  }
}

function normalize(r: MessageRow): MessageRow {
  return {
    ...r,
    attempts: Number(r.attempts),
    dueAt: new Date(r.dueAt),
    appointmentStartsAt: r.appointmentStartsAt ? new Date(r.appointmentStartsAt) : null,
    eventAt: r.eventAt ? new Date(r.eventAt) : null,
    sentAt: r.sentAt ? new Date(r.sentAt) : null,
  };
}
