import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../../config';
import { TwilioMessenger } from '../../twilio/twilio.messenger';
import { AlertChannel, AlertMessage, AlertSendError } from '../alert-channel';
import type { AlertContact } from '../../settings/settings.repository';

/** SMS to the company's alert contacts with a phone, from the platform sender, through the Twilio messenger. */
@Injectable()
export class SmsAlertChannel implements AlertChannel {
  readonly name = 'sms' as const;

  constructor(
    private readonly twilio: TwilioMessenger,
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
  ) {}

  get disabledReason(): string | null {
    if (!this.twilio.configured) return 'TWILIO_SID / TWILIO_AUTH_TOKEN not set';
    if (!this.config.TWILIO_FROM_NUMBER) return 'TWILIO_FROM_NUMBER not set';
    return null;
  }

  recipients(alert: AlertMessage, contacts: AlertContact[]): string[] {
    return alert.companyId ? [...new Set(contacts.flatMap((c) => (c.phone ? [c.phone] : [])))] : [];
  }

  async send(alert: AlertMessage, recipient: string): Promise<void> {
    const outcome = await this.twilio.send({ to: recipient, from: this.config.TWILIO_FROM_NUMBER!, body: alert.body, statusCallback: null });
    if (!outcome.ok) throw new AlertSendError(`Twilio ${outcome.code ?? outcome.httpStatus ?? 'error'}: ${outcome.message}`, outcome.transient);
  }
}
