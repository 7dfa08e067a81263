import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { CompanyNotificationSettings, NotificationSettingsRepository } from '../settings/settings.repository';
import type { MessageChannel } from './messages.repository';
import type { QuietHours } from './zoned-time';

/** What the issue asks for when a company has not sent its own settings yet: reminders a day and an hour before. */
export const DEFAULT_REMINDERS_MINUTES = [1440, 60];
/** No one is woken by a reminder: 21:00–08:00 in the company's zone unless the company says otherwise. */
export const DEFAULT_QUIET_HOURS: QuietHours = ['21:00', '08:00'];
const CACHE_MS = 5_000;

export interface CompanyPolicy {
  companyId: string;
  companyName: string | null;
  timeZone: string;
  language: string | null;
  channel: MessageChannel;
  /**
   * `email` among the company's channels: confirmations, changes and cancellations also go by e-mail (with an `.ics`)
   * to customers with an address, besides the SMS/WhatsApp channel. Off unless the company lists it.
   */
  email: boolean;
  confirmation: boolean;
  remindersMinutesBefore: number[];
  quietHours: QuietHours | null;
  /** Bare sender (no `whatsapp:`) for the channel, or '' when none is configured. */
  sender: string;
}

/**
 * A company's notification settings (from its onboarding set-up, apps/notification/src/settings) with the
 * platform defaults filled in. Cached a few seconds: the dispatcher asks for every message.
 */
@Injectable()
export class CompanyPolicies {
  private readonly cache = new Map<string, { at: number; settings: CompanyNotificationSettings | null }>();

  constructor(
    private readonly settings: NotificationSettingsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
  ) {}

  /** `appointmentTimeZone` stands in for the company's zone until its settings arrive. */
  async forCompany(companyId: string, appointmentTimeZone: string): Promise<CompanyPolicy> {
    const now = Date.now();
    let entry = this.cache.get(companyId);
    if (!entry || now - entry.at > CACHE_MS) {
      entry = { at: now, settings: await this.settings.forCompany(companyId) };
      this.cache.set(companyId, entry);
      if (this.cache.size > 10_000) this.cache.delete(this.cache.keys().next().value!);
    }
    const s = entry.settings;
    const channel: MessageChannel = (s?.channels.find((c) => c === 'sms' || c === 'whatsapp') as MessageChannel | undefined) ?? 'sms';
    return {
      companyId,
      companyName: s?.companyName ?? null,
      timeZone: s?.timeZone ?? appointmentTimeZone,
      language: s?.language ?? null,
      channel,
      email: s?.channels.includes('email') ?? false,
      confirmation: s?.confirmation ?? true,
      remindersMinutesBefore: s ? s.remindersMinutesBefore : DEFAULT_REMINDERS_MINUTES,
      quietHours: s ? s.quietHours : DEFAULT_QUIET_HOURS,
      sender: this.sender(channel, s?.senderId ?? null),
    };
  }

  private sender(channel: MessageChannel, senderId: string | null): string {
    if (channel === 'whatsapp') {
      // WhatsApp needs a number; an alphanumeric company sender id cannot be used there.
      const own = senderId && /^\+\d{7,15}$/.test(senderId) ? senderId : null;
      return own ?? this.config.TWILIO_WHATSAPP_FROM ?? this.config.TWILIO_FROM_NUMBER ?? '';
    }
    return senderId ?? this.config.TWILIO_FROM_NUMBER ?? '';
  }
}
