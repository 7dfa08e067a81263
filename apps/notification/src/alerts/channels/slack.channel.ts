import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../../config';
import { AlertChannel, AlertMessage, fetchWithTimeout, httpFailure } from '../alert-channel';

/**
 * Platform operators' channel: a Slack incoming webhook (`SLACK_WEBHOOK_URL`), `POST {text}` as JSON; Slack answers
 * 200 `ok`, or a 4xx with a short reason (`invalid_payload`, `no_service`, …). Every alert goes here, whatever company.
 */
@Injectable()
export class SlackAlertChannel implements AlertChannel {
  readonly name = 'slack' as const;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: NotificationEnv) {}

  get disabledReason(): string | null {
    return this.config.SLACK_WEBHOOK_URL ? null : 'SLACK_WEBHOOK_URL not set';
  }

  recipients(): string[] {
    return [''];
  }

  async send(alert: AlertMessage): Promise<void> {
    const response = await fetchWithTimeout(
      'Slack',
      this.config.SLACK_WEBHOOK_URL!,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: alert.operatorText }) },
      this.config.ALERT_TIMEOUT_MS,
    );
    const text = await response.text().catch(() => '');
    if (!response.ok) throw httpFailure('Slack', response.status, text);
  }
}
