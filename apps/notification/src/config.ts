import { z } from 'zod';
import { boolFlag, port } from '@receptionist/config';

const ms = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export interface FirebaseCredentials {
  project_id: string;
  client_email: string;
  private_key: string;
  token_uri?: string;
}

/** The service-account JSON, or null when it is not one. */
export function firebaseCredentials(text: string): FirebaseCredentials | null {
  try {
    const v = JSON.parse(text) as Partial<FirebaseCredentials>;
    const ok = [v.project_id, v.client_email, v.private_key].every((x) => typeof x === 'string' && x.length > 0);
    return ok ? (v as FirebaseCredentials) : null;
  } catch {
    return null;
  }
}

/** notification's own settings on top of the shared service environment (libs/config). */
export const notificationEnvSchema = z.object({
  /** Twilio account; without SID and token nothing is sent (messages stay scheduled and the check reports it). */
  TWILIO_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be a Twilio Account SID (AC + 32 hex digits)').optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  /** Platform sender (E.164 number or alphanumeric id) for companies without their own. */
  TWILIO_FROM_NUMBER: z.string().optional(),
  /** WhatsApp sender (E.164, without `whatsapp:`), if WhatsApp is offered; defaults to TWILIO_FROM_NUMBER. */
  TWILIO_WHATSAPP_FROM: z.string().optional(),
  TWILIO_API_BASE: z.url().default('http://127.0.0.1:4040'),
  TWILIO_TIMEOUT_MS: ms(10_000),
  /** Public URL of the gateway; status callbacks go to `<APP_URL>/api/webhooks/twilio/status`. */
  APP_URL: z.url().default('http://127.0.0.1:3000'),
  TRANSLATE_BASE_URL: z.url().default('http://127.0.0.1:4070'),
  /** Due messages are looked for this often (and at once after a booking event). */
  NOTIFICATION_POLL_MS: ms(500),
  /** Messages claimed per round and sent concurrently. */
  NOTIFICATION_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  NOTIFICATION_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  /** Claim-send-record loops per instance (one sends while another records and claims). */
  NOTIFICATION_DISPATCH_LOOPS: z.coerce.number().int().min(1).max(16).default(2),
  /** Attempts for transient Twilio errors (429, 5xx, timeouts) before the message counts as failed. */
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  /** First retry delay; grows ×4 per attempt (1 s, 4 s, 16 s, 64 s, …), capped at 15 min. */
  NOTIFICATION_RETRY_BASE_MS: ms(1_000),
  /** A claimed message not recorded after this long (instance died mid-send) is sent again unless Twilio told us. */
  NOTIFICATION_CLAIM_TIMEOUT_MS: ms(120_000),
  /**
   * Only for instances sharing a broker with others (integration tests): comma-separated company ids, a trailing
   * `*` matches a prefix. Unset (production): every company.
   */
  NOTIFICATION_SERVE_COMPANIES: z.string().optional(),
  /** Slack incoming webhook for platform operators' alerts; unset: operators' alerts are skipped (and counted). */
  SLACK_WEBHOOK_URL: z.url().optional(),
  /**
   * Firebase service-account JSON (`project_id`, `client_email`, `private_key`); set, alerts are also pushed to the
   * FCM topic `company-<companyId>-alerts` that the company's admin app subscribes to. Unset: push is disabled.
   */
  FIREBASE_CREDENTIALS: z
    .string()
    .optional()
    .refine((v) => v === undefined || firebaseCredentials(v) !== null, 'must be a Firebase service-account JSON with project_id, client_email and private_key'),
  FIREBASE_API_BASE: z.url().default('https://fcm.googleapis.com'),
  /**
   * SMTP relay for e-mail (invitations, password resets, alerts to contacts with an address). The defaults are the
   * local SMTP simulator (apps/simulators, mail port 2525); in production set the provider's relay. SMTP_SECURE:
   * TLS from the first byte (port 465); otherwise STARTTLS is used whenever the server offers it.
   */
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: port(2525),
  SMTP_SECURE: boolFlag(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  /** The From of every e-mail, `Name <address>` or a bare address. */
  SMTP_FROM: z
    .string()
    .default('Receptionist <no-reply@receptionist.local>')
    .refine((v) => /^(?:[^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(v.trim()), 'must be an e-mail address or "Name <address>"'),
  SMTP_TIMEOUT_MS: ms(10_000),
  /** This many permanent delivery failures in a row for one company, within the window, alert its admins once. */
  ALERT_FAILURE_THRESHOLD: z.coerce.number().int().min(1).max(1000).default(5),
  ALERT_FAILURE_WINDOW_MS: ms(60 * 60_000),
  /** Pending alert deliveries are looked for this often (and at once after an alert is raised). */
  ALERT_POLL_MS: ms(1_000),
  /** Attempts per alert delivery (×4 back-off from 2 s) before it is recorded as failed. */
  ALERT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  ALERT_RETRY_BASE_MS: ms(2_000),
  ALERT_TIMEOUT_MS: ms(10_000),
});
export type NotificationEnv = z.infer<typeof notificationEnvSchema>;
