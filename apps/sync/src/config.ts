import { z } from 'zod';
import { boolFlag } from '@receptionist/config';

const ms = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** sync's own settings on top of the shared service environment (libs/config). */
export const syncEnvSchema = z.object({
  SAMEDI_BASE_URL: z.url().default('http://127.0.0.1:4050'),
  SAMEDI_CLIENT_ID: z.string().optional(),
  SAMEDI_CLIENT_SECRET: z.string().optional(),
  CALCOM_BASE_URL: z.url().default('http://127.0.0.1:4010'),
  /**
   * 32 random bytes, base64: encrypts the companies' callback signing secrets at rest. Changing it makes every
   * stored secret unreadable (their subscriptions then need a rotated secret), so keep it in the secret store.
   */
  SYNC_SECRETS_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64 (openssl rand -base64 32)'),
  /**
   * Callback URLs may point at loopback and private networks. Off in production: a tenant must never make the
   * platform call into its own network (SSRF). On for a laptop, where receivers listen on 127.0.0.1.
   */
  CALLBACK_ALLOW_PRIVATE_URLS: boolFlag(false),
  /** Which companies' privacy requests this instance handles (see companyScope; all when unset). */
  SYNC_SERVE_COMPANIES: z.string().optional(),
  /** Due deliveries are looked for this often (and at once after an event). */
  CALLBACK_POLL_MS: ms(500),
  /** One attempt's whole time budget (connect, send, answer). */
  CALLBACK_TIMEOUT_MS: ms(10_000),
  /** Attempts per delivery before it is marked failed. */
  CALLBACK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  /** The first retry's delay; each next one is 4× longer (30 s, 2 min, 8 min, 32 min, ~2 h, ~8.5 h, capped at 12 h). */
  CALLBACK_RETRY_BASE_MS: ms(30_000),
  /** Deliveries claimed per round. */
  CALLBACK_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  /** Subscriptions per company. */
  CALLBACK_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(100).default(10),
  /** Each company's calendar is reconciled this often (0: only on demand through the admin API). */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(900_000),
  /** Due companies are looked for this often. */
  RECONCILE_POLL_MS: ms(30_000),
  /**
   * Calendar requests per minute one company's reconciliation may use: Cal.com allows an API key 120 (domain.md
   * §2.4), shared with live calls, so half by default.
   */
  RECONCILE_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(800).default(60),
  /** How long booking may take for one batch of pages (up to 5 calendar requests and their repairs). */
  RECONCILE_BATCH_TIMEOUT_MS: ms(60_000),
});
export type SyncEnv = z.infer<typeof syncEnvSchema>;
