import { z } from 'zod';

/** billing's own settings on top of the shared service environment (libs/config). */
export const billingEnvSchema = z.object({
  STRIPE_SECRET: z.string().optional(),
  STRIPE_API_BASE: z.url().default('http://127.0.0.1:4030'),
  EXCHANGE_RATES_URL: z.url().default('http://127.0.0.1:4060'),
});
