import { Injectable } from '@nestjs/common';
import { EmailMessenger } from '../../email/email.messenger';
import { AlertChannel, AlertMessage, AlertSendError } from '../alert-channel';
import type { AlertContact } from '../../settings/settings.repository';

/** E-mail to the company's alert contacts with an address, through the SMTP relay (EmailMessenger). */
@Injectable()
export class EmailAlertChannel implements AlertChannel {
  readonly name = 'email' as const;
  readonly disabledReason = null;

  constructor(private readonly email: EmailMessenger) {}

  recipients(alert: AlertMessage, contacts: AlertContact[]): string[] {
    return alert.companyId ? [...new Set(contacts.flatMap((c) => (c.email ? [c.email.toLowerCase()] : [])))] : [];
  }

  async send(alert: AlertMessage, recipient: string): Promise<void> {
    const outcome = await this.email.send({ to: recipient, subject: alert.subject, text: alert.body, headers: { 'Auto-Submitted': 'auto-generated' } });
    if (!outcome.ok) throw new AlertSendError(`SMTP ${outcome.code ?? 'error'}: ${outcome.message}`, outcome.transient);
  }
}
