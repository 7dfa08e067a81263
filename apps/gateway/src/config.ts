import { z } from 'zod';
import { newPasswordSchema } from './auth/password';

const perWindow = (fallback: number) => z.coerce.number().int().min(1).max(100000).default(fallback);

/** gateway's own settings on top of the shared service environment (libs/config). */
export const gatewayEnvSchema = z.object({
  /** Retell signs webhooks and function calls with the API key (x-retell-signature). */
  RETELLAI_API_KEY: z.string().optional(),
  /** A separate signing key, if the account uses one; tried besides RETELLAI_API_KEY. */
  RETELLAI_WEBHOOK_SECRET: z.string().optional(),
  /**
   * Bearer / HMAC secret of the system we replace, for agents configured with it. It is one static secret, so it
   * is bound to one company: RETELLAI_FUNCTION_SECRET_COMPANY (required with it) names that company's id, and a
   * request with this secret never reaches another company.
   */
  RETELLAI_FUNCTION_SECRET: z.string().optional(),
  RETELLAI_FUNCTION_SECRET_COMPANY: z.uuid().optional(),
  CALCOM_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  /** The gateway's public URL (what callers and webhook senders reach); Twilio's signatures cover it. */
  APP_URL: z.url().default('http://127.0.0.1:3000'),
  /** How long an accepted bearer token is trusted without a database read (revocations apply at once); 0: off. */
  TOKEN_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  /**
   * Where Twilio reaches the gateway, if not at APP_URL (e.g. another host name in front of the same routes): the
   * URL Twilio's `X-Twilio-Signature` covers. Never taken from a request's Host header, which the sender chooses.
   */
  TWILIO_WEBHOOK_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .refine((v) => !/[?#]/.test(v), 'must be a base URL without query or fragment')
    .optional(),
  VOICE_FUNCTION_DEADLINE_MS: z.coerce.number().int().min(500).max(60000).default(8000),
  // Identity (apps/gateway/src/identity)
  /** First platform admin, created once at start when no platform admin exists yet. */
  PLATFORM_ADMIN_EMAIL: z.email().optional(),
  PLATFORM_ADMIN_PASSWORD: newPasswordSchema.optional(),
  /** Lifetime of the personal access token handed out by POST /api/v1/auth/login. */
  LOGIN_TOKEN_TTL_MINUTES: z.coerce.number().int().min(5).max(43_200).default(720),
  // Team (apps/gateway/src/team)
  /** How long a team invitation link (sent by e-mail or SMS) stays usable. */
  TEAM_INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(72),
  /** How long a password-reset link stays usable; short, since whoever reads the mail may use it. */
  PASSWORD_RESET_TTL_MINUTES: z.coerce.number().int().min(5).max(1440).default(30),
  /** Reset links sent per account and hour; further requests get the same answer and send nothing. */
  PASSWORD_RESET_PER_HOUR: z.coerce.number().int().min(1).max(100).default(3),
  /** Where the console's pages live; links are `<CONSOLE_URL>/accept-invitation#token=…` and `/reset-password#token=…`. Default `<APP_URL>/console`. */
  CONSOLE_URL: z.url().optional(),
  // Customer portal (apps/gateway/src/portal)
  /** Lifetime of a portal token handed out by POST /api/portal/login. */
  PORTAL_TOKEN_TTL_MINUTES: z.coerce.number().int().min(5).max(43_200).default(1440),
  /** How long an invitation link stays usable unless the invitation names its own expiry. */
  PORTAL_INVITATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(168),
  /** Where the portal's registration page lives; the invitation link is `<PORTAL_URL>/register#token=…`. */
  PORTAL_URL: z.url().optional(),
  // Rate limits (apps/gateway/src/rate-limit): requests allowed per RATE_LIMIT_WINDOW_MS and category.
  RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  RATE_LIMIT_GENERAL: perWindow(60),
  RATE_LIMIT_VOICE: perWindow(100),
  RATE_LIMIT_BOOKING: perWindow(30),
  RATE_LIMIT_SENSITIVE: perWindow(10),
  RATE_LIMIT_PORTAL: perWindow(60),
  /** A portal customer's cancellations and reschedules (per customer), within the portal's own limit. */
  RATE_LIMIT_PORTAL_CHANGE: perWindow(10),
  /** Prefix of the Redis keys; all gateway instances of one deployment must share it. */
  RATE_LIMIT_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:._-]+$/).default('gateway:rl'),
  /** Redis hash holding the last heartbeat of every service instance; one per deployment sharing a broker. */
  PLATFORM_HEALTH_KEY: z.string().regex(/^[A-Za-z0-9:._-]+$/).default('platform:heartbeats'),
  /** Requesting services whose reply topics of crashed instances the gateway deletes (comma-separated; empty: none). */
  REPLY_TOPIC_JANITOR_SERVICES: z.string().regex(/^[A-Za-z0-9._,-]*$/).default('gateway,voice-agent'),
  /** A reply topic is deleted once its instance has sent no heartbeat for this many minutes. */
  REPLY_TOPIC_ORPHAN_MINUTES: z.coerce.number().int().min(5).max(10_080).default(15),
  /** Longest wait for Redis before a decision falls back to the category's failure mode. */
  RATE_LIMIT_REDIS_TIMEOUT_MS: z.coerce.number().int().min(10).max(5000).default(250),
  // Cal.com health (apps/gateway/src/platform-health): GET /api/health/calcom probes this API with this key.
  CALCOM_BASE_URL: z.url().default('http://127.0.0.1:4010'),
  CALCOM_API_KEY: z.string().optional(),
  /** Longest wait for Cal.com's answer before the probe reports it unreachable. */
  CALCOM_HEALTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(3_000),
  /** A probe result is reused this long, so polling operators do not turn into traffic against Cal.com; 0 = never. */
  CALCOM_HEALTH_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5_000),
  // Web console and portal (apps/gateway/src/console): the build output of apps/console.
  CONSOLE_DIR: z.string().min(1).default('dist/console'),
  // Hardening (apps/gateway/src/hardening)
  /** Browser origins allowed by CORS, comma separated (e.g. `https://portal.example.com`); none by default. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s,]+$/, 'must be a comma separated list of scheme://host[:port] without a path'))),
});

export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
