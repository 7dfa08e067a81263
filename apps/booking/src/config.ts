import { z } from 'zod';
import { isSecretsKey } from '@receptionist/config';

const ms = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** booking's own settings on top of the shared service environment (libs/config). */
export const bookingEnvSchema = z.object({
  CALCOM_API_KEY: z.string().optional(),
  CALCOM_BASE_URL: z.url().default('http://127.0.0.1:4010'),
  CALCOM_TEAM_SLUG: z.string().optional(),
  /** Bookings endpoints only; slots and event types have their own fixed versions (see calcom.client.ts). */
  CALCOM_API_VERSION: z.string().default('2024-08-13'),
  CALCOM_CONNECT_TIMEOUT_MS: ms(5_000),
  CALCOM_REQUEST_TIMEOUT_MS: ms(10_000),
  /** Consecutive outages (timeouts, network errors, 5xx) that open the circuit breaker. */
  CALCOM_BREAKER_FAILURES: z.coerce.number().int().min(1).default(5),
  CALCOM_BREAKER_HALF_OPEN_MS: ms(60_000),
  /** Total attempts for idempotent reads (1 = no retry); writes are never retried. */
  CALCOM_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(3),
  CALCOM_RETRY_BASE_DELAY_MS: ms(100),
  /** Free slots per (company, event type, day range) are cached this long; any booking change drops them. */
  AVAILABILITY_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(900),
  /**
   * A calendar being booked is locked in Redis for this long and renewed every quarter of it while held (released as
   * soon as the booking is stored). Short, so a crashed attempt blocks nobody for long; a retry of the same request
   * takes over a lock whose holder stopped renewing it.
   */
  SLOT_LOCK_TTL_MS: ms(6_000),
  /**
   * A Cal.com create whose outcome we never learnt (timeout, unreadable answer, crash before our commit) is looked for
   * in Cal.com after this long: kept if an appointment of ours holds it, cancelled otherwise.
   */
  CALCOM_ORPHAN_GRACE_MS: ms(120_000),
  /** How often each instance looks for such creates (0 = never; tests and a single maintenance instance). */
  CALCOM_ORPHAN_SCAN_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Only for instances sharing a broker with others (integration tests): comma-separated company ids, a trailing
   * `*` matches a prefix. Set-up commands and requests of other companies are left to their own instance.
   * Unset (production): every company.
   */
  BOOKING_SERVE_COMPANIES: z.string().optional(),
  /**
   * 32 random bytes, base64: seals companies' own calendar credentials (Cal.com keys, Samedi secrets) at rest. Unset:
   * companies cannot connect calendars of their own (every company books through the platform's Cal.com account).
   */
  CALENDAR_SECRETS_KEY: z.string().refine(isSecretsKey, 'must be 32 bytes, base64 (openssl rand -base64 32)').optional(),
  /** The platform's Cal.com webhook secret (the gateway's CALCOM_WEBHOOK_SECRET, first value): companies' subscriptions are signed with secrets derived from it. */
  CALCOM_WEBHOOK_SECRET: z.string().optional(),
  /** The gateway's public Cal.com webhook route (…/api/calcom/webhook); a company's subscription posts to `<url>/<companyId>`. Unset: none is created. */
  CALCOM_WEBHOOK_URL: z.url().optional(),
  SAMEDI_BASE_URL: z.url().default('http://127.0.0.1:4050'),
  /** A company's connection (credentials, health) is re-read this often at most. */
  CALENDAR_CONNECTION_CACHE_MS: ms(5_000),
});
export type BookingEnv = z.infer<typeof bookingEnvSchema>;
