import { z } from 'zod';

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
  EXCHANGE_RATES_URL: z.url().default('http://127.0.0.1:4060'),
  /** Where Stripe Checkout sends the business back to after a top-up. */
  BILLING_PORTAL_URL: z.url().default('http://127.0.0.1:3000/portal/billing'),
  BILLING_TOPUP_BONUS_TIERS: bonusTiers,
  /** VAT when the company has no rate of its own (basis points; 1900 = 19 %). */
  BILLING_DEFAULT_VAT_BASIS_POINTS: z.coerce.number().int().min(0).max(10000).default(1900),
  /** How often unrated usage (a call before its company's prices arrived) is rated again. */
  BILLING_RERATE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** How often the monthly invoice run looks for last month's uninvoiced usage; 0 = never (tests). */
  BILLING_INVOICE_RUN_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /**
   * Companies whose `billing.request`s this instance answers (ids or `prefix*`, comma separated; unset = all). Only
   * for integration tests: several billing instances with their own databases share one broker without answering
   * for each other. Never set in production.
   */
  BILLING_SERVE_COMPANIES: z.string().optional(),
});
export type BillingEnv = z.infer<typeof billingEnvSchema>;
