import { Injectable } from '@nestjs/common';
import { EmailMessenger } from '../email/email.messenger';
import { appointmentIcs, bareAddress, emailSubject, unsubscribeFooter, unsubscribeLink, withoutSmsOptOut } from './appointment-email';
import type { MessageRow, NewMessage } from './messages.repository';
import { baseLanguage } from './templates';
import type { SendOutcome } from '../twilio/twilio.messenger';

interface AppointmentFact {
  appointmentId: string;
  version?: number;
  serviceName: string;
  customer: { name: string };
}

/**
 * Appointment e-mails (confirmation, change, cancellation): planned with the booking fact as a notification_message
 * of channel `email` carrying its subject and `.ics` (so a retry sends the same invitation), and sent by the
 * dispatcher through SMTP with the unsubscribe link in the text and in `List-Unsubscribe`.
 */
@Injectable()
export class AppointmentEmails {
  constructor(private readonly email: EmailMessenger) {}

  plan(
    notice: Omit<NewMessage, 'channel' | 'toNumber' | 'sender' | 'subject' | 'ics'>,
    a: AppointmentFact,
    to: string,
    endsAt: Date,
    companyName: string | null,
  ): NewMessage {
    const language = baseLanguage(notice.language);
    const organizer = bareAddress(this.email.from);
    return {
      ...notice,
      channel: 'email',
      toNumber: to,
      sender: organizer,
      subject: emailSubject(notice.kind, language, a.serviceName, companyName),
      ics: appointmentIcs({
        appointmentId: a.appointmentId,
        version: a.version ?? null,
        kind: notice.kind,
        startsAt: notice.appointmentStartsAt!,
        endsAt,
        serviceName: a.serviceName,
        companyName,
        customerName: a.customer.name,
        customerEmail: to,
        organizerEmail: organizer,
        language,
      }),
    };
  }

  /** Sends one planned e-mail; the outcome in the dispatcher's (Twilio-shaped) terms. SMTP acceptance is final: `sent`. */
  async send(row: MessageRow): Promise<SendOutcome> {
    const link = unsubscribeLink(bareAddress(this.email.from), row.companyId, row.toNumber);
    const method = row.kind === 'cancellation' ? 'CANCEL' : 'REQUEST';
    const outcome = await this.email.send({
      to: row.toNumber,
      subject: row.subject ?? row.kind,
      text: withoutSmsOptOut(row.body) + unsubscribeFooter(baseLanguage(row.language), link),
      headers: { 'List-Unsubscribe': `<${link}>`, 'Auto-Submitted': 'auto-generated' },
      ...(row.ics ? { attachments: [{ filename: 'invite.ics', content: row.ics, contentType: `text/calendar; charset=utf-8; method=${method}` }] } : {}),
    });
    if (outcome.ok) return { ok: true, sid: outcome.messageId.slice(0, 64), status: 'sent' };
    return { ok: false, transient: outcome.transient, code: outcome.code, message: outcome.message, httpStatus: null };
  }
}
