import { Inject, Injectable } from '@nestjs/common';
import { createSign } from 'node:crypto';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import { FirebaseCredentials, firebaseCredentials, NotificationEnv } from '../../config';
import { AlertChannel, AlertMessage, AlertSendError, fetchWithTimeout, httpFailure } from '../alert-channel';

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

const base64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** The signed JWT a service account exchanges for an access token (Google's OAuth 2.0 JWT bearer grant, RS256). */
export function serviceAccountAssertion(credentials: FirebaseCredentials, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ iss: credentials.client_email, scope: FCM_SCOPE, aud: credentials.token_uri ?? GOOGLE_TOKEN_URI, iat, exp: iat + 3600 }),
  );
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(credentials.private_key);
  return `${header}.${claims}.${base64url(signature)}`;
}

/** The FCM topic a company's admin app subscribes to for its alerts. */
export const companyAlertTopic = (companyId: string) => `company-${companyId.replace(/[^a-zA-Z0-9-_.~%]/g, '-')}-alerts`;

/**
 * Firebase Cloud Messaging (HTTP v1) push to the company's admin app, enabled by FIREBASE_CREDENTIALS (a service
 * account). No SDK: the token exchange is one signed JWT (node:crypto) and the send one POST, so it stays light.
 */
@Injectable()
export class PushAlertChannel implements AlertChannel {
  readonly name = 'push' as const;
  private readonly credentials: FirebaseCredentials | null;
  private token: { value: string; expiresAt: number } | null = null;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: NotificationEnv) {
    this.credentials = config.FIREBASE_CREDENTIALS ? firebaseCredentials(config.FIREBASE_CREDENTIALS) : null;
  }

  get disabledReason(): string | null {
    return this.credentials ? null : 'FIREBASE_CREDENTIALS not set';
  }

  recipients(alert: AlertMessage): string[] {
    return alert.companyId ? [companyAlertTopic(alert.companyId)] : [];
  }

  async send(alert: AlertMessage, topic: string): Promise<void> {
    const credentials = this.credentials!;
    const url = `${this.config.FIREBASE_API_BASE}/v1/projects/${encodeURIComponent(credentials.project_id)}/messages:send`;
    const response = await fetchWithTimeout(
      'FCM',
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.accessToken(credentials)}` },
        body: JSON.stringify({
          message: { topic, notification: { title: alert.subject, body: alert.body }, data: { kind: alert.kind, companyId: alert.companyId, alertId: alert.alertId } },
        }),
      },
      this.config.ALERT_TIMEOUT_MS,
    );
    if (response.status === 401) this.token = null;
    if (!response.ok) throw httpFailure('FCM', response.status, await response.text().catch(() => ''));
  }

  private async accessToken(credentials: FirebaseCredentials): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now() + 60_000) return this.token.value;
    const response = await fetchWithTimeout(
      'Google OAuth',
      credentials.token_uri ?? GOOGLE_TOKEN_URI,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: serviceAccountAssertion(credentials, new Date()) }),
      },
      this.config.ALERT_TIMEOUT_MS,
    );
    if (!response.ok) throw httpFailure('Google OAuth', response.status, await response.text().catch(() => ''));
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new AlertSendError('Google OAuth answered without an access_token', true);
    this.token = { value: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return this.token.value;
  }
}
