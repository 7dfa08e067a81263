import { z } from 'zod';
import { currency } from '@receptionist/contracts';

/** `POST …/billing/top-ups`: an amount in minor units of the company's currency (Stripe Checkout). */
export const createTopUpSchema = z
  .object({
    amount: z.number().int('must be a whole number of minor units').positive('must be more than 0'),
    currency,
    /** Where Stripe sends the business back to; billing's portal page when absent. */
    successUrl: z.url().max(2000).optional(),
    cancelUrl: z.url().max(2000).optional(),
  });
export type CreateTopUpDto = z.infer<typeof createTopUpSchema>;

/** `POST …/billing/invoices`: invoice a month's usage now (the monthly run does it otherwise). */
export const createInvoiceSchema = z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM') });
export type CreateInvoiceDto = z.infer<typeof createInvoiceSchema>;

/**
 * `POST …/billing/invoices/:invoiceId/credit-notes`: refund part or all of a paid invoice. `amount` in minor units,
 * at most what is still refundable (billing checks that and answers 400 naming `amount`).
 */
export const createCreditNoteSchema = z.object({
  amount: z.number().int('must be a whole number of minor units').positive('must be more than 0'),
  reason: z.string().trim().min(1, 'must not be empty').max(500),
});
export type CreateCreditNoteDto = z.infer<typeof createCreditNoteSchema>;

/** `?currency=USD`: also show the amounts converted at the current ECB rate (display only, never charged). */
const displayCurrency = z.enum(['EUR', 'USD', 'GBP'], { error: 'must be one of EUR, USD, GBP' }).optional();
export const displayCurrencyQuery = z.object({ currency: displayCurrency });

export const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `next` of the previous page (the seq of its last entry). */
  before: z.coerce.number().int().min(1).optional(),
  currency: displayCurrency,
});

export const invoicesQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(24) });

/** `Idempotency-Key`: the same key answers the same checkout session (a retried POST never opens a second one). */
export const idempotencyKeyHeader = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional();

/**
 * `PATCH …/billing/prices`: the company's price overrides on top of its plan (null clears one, absent keeps it).
 * Money in minor units of the company's currency; basis points for percentages (2500 = 25 %).
 */
export const setPricesSchema = z
  .strictObject({
    perMinuteMinor: z.number().int('must be a whole number of minor units').min(0).nullable().optional(),
    discountBasisPoints: z.number().int().min(0).max(10000).nullable().optional(),
    billingMode: z.enum(['per_second', 'per_minute']).nullable().optional(),
    freeSecondsPerMonth: z.number().int().min(0).nullable().optional(),
    vatBasisPoints: z.number().int().min(0).max(10000).nullable().optional(),
    refuseCallsWhenExhausted: z.boolean().nullable().optional(),
  })
  // Only when the keys were all known: an unknown one is the whole story (`perMinute: is not a known field`).
  .refine((o) => Object.keys(o).length > 0, { message: 'name at least one override to change', when: (payload) => payload.issues.length === 0 });
export type SetPricesDto = z.infer<typeof setPricesSchema>;

/** `POST /api/v1/plans`: a plan as the operator defines it (the same document as BILLING_PLANS' entries). */
export { planDefinitionSchema as upsertPlanSchema } from '@receptionist/contracts';

export const plansQuery = z.object({
  /** Also plans no longer on offer (`true`); platform operators. */
  includeInactive: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
});

const refusalMessage = z.string().trim().min(1, 'must not be empty').max(500).nullable();

/** `POST …/billing/subscription`: subscribe to a plan, in the company's account currency. */
export const createSubscriptionSchema = z.strictObject({
  planCode: z.string().min(1).max(40),
  currency,
  /** What callers hear while calls are refused for an unpaid plan; null or absent: the platform's default words. */
  refusalMessage: refusalMessage.optional(),
});
export type CreateSubscriptionDto = z.infer<typeof createSubscriptionSchema>;

/** `PATCH …/billing/subscription`: another plan (Stripe prorates), cancel at period end (or not), the refusal message. */
export const updateSubscriptionSchema = z
  .strictObject({
    planCode: z.string().min(1).max(40).optional(),
    cancelAtPeriodEnd: z.boolean().optional(),
    refusalMessage: refusalMessage.optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: 'name at least one of planCode, cancelAtPeriodEnd, refusalMessage', when: (payload) => payload.issues.length === 0 });
export type UpdateSubscriptionDto = z.infer<typeof updateSubscriptionSchema>;

/** `POST …/billing/portal-session`: where Stripe's customer portal sends the business back to. */
export const portalSessionSchema = z.strictObject({ returnUrl: z.url().max(2000).optional() });
export type PortalSessionDto = z.infer<typeof portalSessionSchema>;

export const planUsageQuery = z.object({ limit: z.coerce.number().int().min(1).max(60).default(12) });
