import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { alertContactSchema, channel, notificationSetupSchema } from '@receptionist/contracts';

export type NotificationSetup = z.output<typeof notificationSetupSchema>;
export type AlertContact = z.output<typeof alertContactSchema>;

/** How and when a company's customers are notified. */
export interface CompanyNotificationSettings {
  companyId: string;
  companyName: string;
  timeZone: string;
  language: string;
  /** In order of preference. */
  channels: z.output<typeof channel>[];
  confirmation: boolean;
  remindersMinutesBefore: number[];
  senderId: string | null;
  /** `[from, to]` as HH:MM in the company's time zone, or null. */
  quietHours: [string, string] | null;
  revision: string;
  updatedAt: Date;
  /** The company's admins for operational alerts (apps/notification/src/alerts). */
  alertContacts: AlertContact[];
}

interface Row {
  company_id: string;
  company_name: string;
  time_zone: string;
  language: string;
  channels: unknown;
  confirmation: number;
  reminders_minutes_before: unknown;
  sender_id: string | null;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  revision: string;
  updated_at: Date;
  alert_contacts: unknown;
}

/** The JSON columns: mysql2 hands MariaDB's JSON-checked text over already parsed, other drivers as text. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

const toSettings = (r: Row): CompanyNotificationSettings => ({
  companyId: r.company_id,
  companyName: r.company_name,
  timeZone: r.time_zone,
  language: r.language,
  channels: json(r.channels),
  confirmation: Boolean(r.confirmation),
  remindersMinutesBefore: json(r.reminders_minutes_before),
  senderId: r.sender_id,
  quietHours: r.quiet_hours_start && r.quiet_hours_end ? [r.quiet_hours_start, r.quiet_hours_end] : null,
  revision: r.revision,
  updatedAt: new Date(r.updated_at),
  alertContacts: r.alert_contacts ? json(r.alert_contacts) : [],
});

/** `company_notification_settings`: one row per company, replaced as a whole by each new set-up revision. */
@Injectable()
export class NotificationSettingsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async forCompany(companyId: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<CompanyNotificationSettings | null> {
    const rows: Row[] = await manager.query(`SELECT * FROM company_notification_settings WHERE company_id = ?${lock ? ' FOR UPDATE' : ''}`, [companyId]);
    return rows[0] ? toSettings(rows[0]) : null;
  }

  async save(manager: EntityManager, setup: NotificationSetup, at: Date): Promise<void> {
    const s = setup.settings;
    const reminders = [...new Set(s.remindersMinutesBefore)].sort((a, b) => b - a);
    await manager.query(
      `INSERT INTO company_notification_settings
         (company_id, company_name, time_zone, language, channels, confirmation, reminders_minutes_before, sender_id, quiet_hours_start, quiet_hours_end, revision, updated_at, alert_contacts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE company_name = VALUES(company_name), time_zone = VALUES(time_zone), language = VALUES(language),
         channels = VALUES(channels), confirmation = VALUES(confirmation), reminders_minutes_before = VALUES(reminders_minutes_before),
         sender_id = VALUES(sender_id), quiet_hours_start = VALUES(quiet_hours_start), quiet_hours_end = VALUES(quiet_hours_end),
         revision = VALUES(revision), updated_at = VALUES(updated_at), alert_contacts = VALUES(alert_contacts)`,
      [
        setup.companyId,
        setup.companyName,
        setup.timeZone,
        setup.language,
        JSON.stringify(s.channels),
        s.confirmation ? 1 : 0,
        JSON.stringify(reminders),
        s.senderId,
        s.quietHours?.[0] ?? null,
        s.quietHours?.[1] ?? null,
        setup.revision,
        at,
        JSON.stringify(s.alertContacts ?? []),
      ],
    );
    // The company's own texts: the set-up's list replaces them all; a set-up without the list leaves them as they are.
    if (s.templates) {
      await manager.query('DELETE FROM notification_template WHERE company_id = ?', [setup.companyId]);
      for (const t of s.templates) {
        await manager.query('INSERT INTO notification_template (company_id, kind, language, body, updated_at) VALUES (?, ?, ?, ?, ?)', [setup.companyId, t.kind, t.language, t.body, at]);
      }
    }
  }
}
