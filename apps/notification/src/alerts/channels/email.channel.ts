import { Injectable } from '@nestjs/common';
import { AlertChannel, AlertMessage, AlertSendError } from '../alert-channel';
import type { AlertContact } from '../../settings/settings.repository';

/**
 * E-mail to the company's alert contacts. No SMTP client is configured yet (there is no SMTP simulator to test one
 * against), so this channel is always off: deliveries to e-mail addresses are recorded as skipped and counted.
 */
@Injectable()
export class EmailAlertChannel implements AlertChannel {
  readonly name = 'email' as const;
  readonly disabledReason = 'e-mail (SMTP) is not configured';

  recipients(alert: AlertMessage, contacts: AlertContact[]): string[] {
    return alert.companyId ? [...new Set(contacts.flatMap((c) => (c.email ? [c.email.toLowerCase()] : [])))] : [];
  }

  async send(): Promise<void> {
    throw new AlertSendError(this.disabledReason, false);
  }
}
