import { z } from 'zod';
import { planDefinitionSchema } from '@receptionist/contracts';

/** BILLING_PLANS: a JSON array of plan definitions (the admin API's `POST /api/v1/plans` body), upserted at start-up. */
const plansSetting = z
  .string()
  .default('[]')
  .transform((s, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of plans' });
      return z.NEVER;
    }
    const parsed = z.array(planDefinitionSchema).safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({ code: 'custom', message: `[${issue.path.join('.')}]: ${issue.message}` });
      return z.NEVER;
    }
    const codes = parsed.data.map((p) => p.code);
    if (new Set(codes).size !== codes.length) {
      ctx.addIssue({ code: 'custom', message: 'plan codes must be unique' });
      return z.NEVER;
    }
    return parsed.data;
  });

/** `5000:5,10000:10` → a top-up of at least 50.00 earns 5 % bonus credit, of at least 100.00 10 %. */
const bonusTiers = z
  .string()
  .default('')
  .transform((s, ctx) => {
    const tiers: { minMinor: number; basisPoints: number }[] = [];
    for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^(\d+):(\d+(?:\.\d{1,2})?)$/.exec(part);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma separated list of <min amount in minor units>:<percent>' });
        return z.NEVER;
      }
      tiers.push({ minMinor: Number(m[1]), basisPoints: Math.round(Number(m[2]) * 100) });
    }
    return tiers.sort((a, b) => b.minMinor - a.minMinor);
  });

/** billing's own settings on top of the shared service environment (libs/config). */
export const billingEnvSchema = z.object({
  /** Secret API key (`sk_…`). Unset: `sk_test_simulator`, accepted only when STRIPE_API_BASE is not Stripe itself. */
  STRIPE_SECRET: z.string().optional(),
  STRIPE_API_BASE: z.url().default('http://127.0.0.1:4030'),
  /**
   * Frankfurter API base URL (ECB reference rates, no key): `<url>/latest?base=EUR&symbols=GBP,USD`. The local
   * launcher and tests point it at the rates simulator (4060).
   */
  EXCHANGE_RATES_URL: z.url().default('https://api.frankfurter.dev/v1'),
  /** How long fetched rates count as current (shared in Redis); the ECB publishes once a working day. */
  EXCHANGE_RATES_REFRESH_MS: z.coerce.number().int().min(1000).max(86_400_000).default(3_600_000),
  /** After a failed fetch, how long every instance serves the last good rates (flagged stale) before asking again. */
  EXCHANGE_RATES_RETRY_AFTER_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  /** Per attempt, connect plus answer (three attempts with back-off). */
  EXCHANGE_RATES_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Where Stripe Checkout sends the business back to after a top-up. */
  BILLING_PORTAL_URL: z.url().default('http://127.0.0.1:3000/portal/billing'),
  BILLING_TOPUP_BONUS_TIERS: bonusTiers,
  /** VAT when the company has no rate of its own (basis points; 1900 = 19 %). */
  BILLING_DEFAULT_VAT_BASIS_POINTS: z.coerce.number().int().min(0).max(10000).default(1900),
  /** How often unrated usage (a call before its company's prices arrived) is rated again. */
  BILLING_RERATE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** How often automatic top-ups whose charge did not go through (crash, Stripe down) are tried again; up to 5 attempts. */
  BILLING_AUTO_TOPUP_RETRY_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** How often the monthly invoice run looks for last month's uninvoiced usage; 0 = never (tests). */
  BILLING_INVOICE_RUN_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /**
   * Companies whose `billing.request`s this instance answers (ids or `prefix*`, comma separated; unset = all). Only
   * for integration tests: several billing instances with their own databases share one broker without answering
   * for each other. Never set in production.
   */
  BILLING_SERVE_COMPANIES: z.string().optional(),
  /** Plans the operator offers, upserted at every start (the admin API can add and change plans too). */
  BILLING_PLANS: plansSetting,
  /** After a failed subscription payment, how long calls are still taken (reminders meanwhile) before they are refused. */
  BILLING_DUNNING_GRACE_MS: z.coerce.number().int().min(1000).max(60 * 86_400_000).default(7 * 86_400_000),
  /** How often the company's admins are reminded during the grace period. */
  BILLING_DUNNING_REMINDER_MS: z.coerce.number().int().min(500).max(30 * 86_400_000).default(2 * 86_400_000),
  /** How often grace periods and ended plan periods are looked at (reminders, refusals, postpaid overage invoicing). */
  BILLING_PLAN_JOBS_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
});
export type BillingEnv = z.infer<typeof billingEnvSchema>;
