import type { AlertContact } from '../settings/settings.repository';

export type AlertChannelName = 'sms' | 'email' | 'slack' | 'push';

/** What every channel is handed: the alert as stored (texts composed once, when it was raised). */
export interface AlertMessage {
  alertId: string;
  /** '' for an alert about no company (a dead letter whose envelope had none). */
  companyId: string;
  kind: string;
  /** Short title in the company's language (push title, e-mail subject). */
  subject: string;
  /** The text for the company's admins, in the company's language. */
  body: string;
  /** The text for platform operators (English, names the company). */
  operatorText: string;
}

/**
 * One way of telling someone about an alert. Channels for the company's admins derive their recipients from the
 * company's alert contacts; the operators' channel (Slack) has one recipient, ''. A channel that is not configured
 * says why in `disabledReason`; its deliveries are recorded as skipped, never attempted.
 */
export interface AlertChannel {
  readonly name: AlertChannelName;
  readonly disabledReason: string | null;
  recipients(alert: AlertMessage, contacts: AlertContact[]): string[];
  /** Resolves when the provider accepted it; throws AlertSendError otherwise. */
  send(alert: AlertMessage, recipient: string): Promise<void>;
}

export class AlertSendError extends Error {
  /** `transient`: worth another attempt later (429, 5xx, timeouts, network). */
  constructor(message: string, readonly transient: boolean) {
    super(message);
    this.name = 'AlertSendError';
  }
}

export const ALERT_CHANNELS = Symbol('ALERT_CHANNELS');

/** HTTP outcome → AlertSendError (429 and 5xx are worth retrying, other 4xx are not). */
export function httpFailure(provider: string, status: number, text: string): AlertSendError {
  return new AlertSendError(`${provider} answered ${status}: ${text.slice(0, 200)}`, status === 429 || status >= 500);
}

/** fetch with a timeout; a network error or timeout becomes a transient AlertSendError. */
export async function fetchWithTimeout(provider: string, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new AlertSendError(`${provider} unreachable: ${(error as Error).message}`, true);
  }
}
