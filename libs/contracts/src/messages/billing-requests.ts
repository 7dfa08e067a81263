import { z } from 'zod';
import { currency, minorUnits } from './common';
import { planCode, planDefinitionSchema } from './billing';

/**
 * The gateway's admin/portal API asks billing over request-reply on `billing.request` (billing owns the data).
 * `companyId` is set by the gateway from the authenticated principal, never from a body.
 */
const base = { companyId: z.string().min(1) };
const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');

export const billingRequestSchema = z.discriminatedUnion('operation', [
  /** Balance (paid and bonus credit), currency, threshold, state; `displayCurrency` adds a converted view. */
  z.object({ operation: z.literal('balance.get'), ...base, displayCurrency: currency.optional() }),
  /** Ledger entries, newest first; `before` is the `seq` of the last entry of the previous page. */
  z.object({
    operation: z.literal('ledger.list'),
    ...base,
    limit: z.number().int().min(1).max(200).default(50),
    before: z.number().int().min(1).optional(),
    /** Adds each entry's amounts converted for display (exchange rates; the entries themselves never change). */
    displayCurrency: currency.optional(),
  }),
  /** Effective prices: the company's plan from its set-up plus its overrides; `displayCurrency` adds a converted view. */
  z.object({ operation: z.literal('prices.get'), ...base, displayCurrency: currency.optional() }),
  /** The ECB reference rates billing shows converted amounts with (EUR base, publication date, `stale` flag). */
  z.object({ operation: z.literal('rates.get'), ...base }),
  /** Company-level overrides of the plan (null clears one). */
  z.object({
    operation: z.literal('prices.set'),
    ...base,
    perMinuteMinor: minorUnits.min(0).nullable().optional(),
    /** Discount in basis points (2500 = 25 %). */
    discountBasisPoints: z.number().int().min(0).max(10000).nullable().optional(),
    billingMode: z.enum(['per_second', 'per_minute']).nullable().optional(),
    freeSecondsPerMonth: z.number().int().min(0).nullable().optional(),
    vatBasisPoints: z.number().int().min(0).max(10000).nullable().optional(),
    refuseCallsWhenExhausted: z.boolean().nullable().optional(),
  }),
  /** Creates a Stripe Checkout Session for a top-up and answers its URL. */
  z.object({
    operation: z.literal('topup.create'),
    ...base,
    amount: minorUnits.positive(),
    currency,
    successUrl: z.url().optional(),
    cancelUrl: z.url().optional(),
    /** Same key → same session (a retried POST never opens a second one). */
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
  z.object({ operation: z.literal('invoices.list'), ...base, limit: z.number().int().min(1).max(100).default(24) }),
  /** One invoice of the company (`not_found` for another company's). */
  z.object({ operation: z.literal('invoice.get'), ...base, invoiceId: z.uuid() }),
  /** Invoices a month's usage now (normally done by the monthly run); the same month twice gives the same invoice. */
  z.object({ operation: z.literal('invoice.create'), ...base, period }),
  /**
   * Refunds part or all of a paid invoice with a Stripe credit note (at most what is still refundable). A company
   * invoice's refund goes back to the prepaid balance (ledger `refund`); a partner's aggregate invoice is credited
   * to the partner's Stripe customer balance. Same `idempotencyKey` → same credit note.
   */
  z.object({
    operation: z.literal('creditNote.create'),
    ...base,
    invoiceId: z.uuid(),
    amount: minorUnits.positive(),
    reason: z.string().trim().min(1).max(500),
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
  /** The plans on offer (`includeInactive`: also withdrawn ones; operators). */
  z.object({ operation: z.literal('plans.list'), ...base, includeInactive: z.boolean().default(false) }),
  /** Creates or changes a plan (platform operators). Existing subscriptions keep their Stripe price until changed. */
  z.object({ operation: z.literal('plan.upsert'), ...base, plan: planDefinitionSchema }),
  /** The company's subscription (null when none), its dunning state and the current period's usage. */
  z.object({ operation: z.literal('subscription.get'), ...base }),
  /** Subscribes the company to a plan in its account currency (Stripe subscription; trial when the plan has one). */
  z.object({
    operation: z.literal('subscription.create'),
    ...base,
    planCode,
    currency,
    /** What callers hear while calls are refused for an unpaid plan (null: the platform's default words). */
    refusalMessage: z.string().trim().min(1).max(500).nullable().optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
  /** Upgrade or downgrade (Stripe prorates), cancel at period end (or take that back), or change the refusal message. */
  z.object({
    operation: z.literal('subscription.update'),
    ...base,
    planCode: planCode.optional(),
    cancelAtPeriodEnd: z.boolean().optional(),
    refusalMessage: z.string().trim().min(1).max(500).nullable().optional(),
  }),
  /** A Stripe customer portal session (payment methods, invoices); answers its URL. */
  z.object({ operation: z.literal('portal.create'), ...base, returnUrl: z.url().optional() }),
  /** Usage against the plan per period, newest first: included, used, overage and what it cost. */
  z.object({ operation: z.literal('planUsage.list'), ...base, limit: z.number().int().min(1).max(60).default(12) }),
]);
export type BillingRequest = z.input<typeof billingRequestSchema>;
export type BillingOperation = BillingRequest['operation'];

export const billingErrorCodes = ['invalid_request', 'unknown_company', 'not_found', 'payment_provider_unavailable', 'nothing_to_invoice', 'usage_not_rated', 'rates_unavailable', 'conflict'] as const;
export type BillingErrorCode = (typeof billingErrorCodes)[number];

export const billingReplySchema = z.object({
  ok: z.boolean(),
  code: z.enum(billingErrorCodes).optional(),
  /** Which field, which rule. */
  detail: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type BillingReply = z.infer<typeof billingReplySchema>;
