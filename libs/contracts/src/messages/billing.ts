import { z } from 'zod';
import { currency, isoInstant, minorUnits } from './common';

export const paymentSucceededSchema = z.object({
  paymentId: z.string().min(1),
  amount: minorUnits.positive(),
  currency,
  stripeObjectId: z.string().min(1),
  /** What was paid: a prepaid top-up (credited to the balance) or an invoice. */
  purpose: z.enum(['top_up', 'auto_top_up', 'invoice']).optional(),
  /** Bonus credit granted with a top-up (on top of `amount`). */
  bonus: minorUnits.min(0).optional(),
  /** The company's balance right after the credit (top-ups only). */
  balanceAfter: minorUnits.optional(),
});
export const paymentFailedSchema = z.object({
  invoiceId: z.string().nullable(),
  stripeObjectId: z.string().min(1),
  reason: z.string().nullable(),
  /** The top-up that failed, when it was one (null for invoices). */
  topUpId: z.string().nullable().optional(),
});
export const invoicePaidSchema = z.object({
  invoiceId: z.string().min(1),
  number: z.string().min(1),
  total: minorUnits,
  currency,
  /** Billing period the invoice covers (`YYYY-MM`), when it is a usage invoice. */
  period: z.string().regex(/^\d{4}-\d{2}$/).nullable().optional(),
  paidAt: isoInstant.optional(),
});
export const balanceLowSchema = z.object({
  balance: minorUnits,
  threshold: minorUnits,
  currency,
});
export const balanceExhaustedSchema = z.object({
  balance: minorUnits,
  currency,
  refuseCalls: z.boolean(),
});
/**
 * After a credit the balance is back above the company's threshold, or at least out of `exhausted` (above zero):
 * whoever refused calls takes them again (the gateway's call acceptance).
 */
export const balanceRestoredSchema = z.object({
  balance: minorUnits,
  threshold: minorUnits,
  currency,
});

/**
 * A Stripe webhook event the gateway verified (`Stripe-Signature`) and put on Kafka before answering 2xx.
 * The envelope id is derived from the Stripe event id, so a redelivered webhook is the same message to billing's
 * inbox; billing also records `eventId` itself. `event` is the event JSON as Stripe sent it.
 */
export const stripeEventReceivedSchema = z.object({
  eventId: z.string().regex(/^evt_[A-Za-z0-9_]+$/, 'must be a Stripe event id (evt_…)'),
  type: z.string().min(1),
  livemode: z.boolean(),
  /** Stripe's `created` (unix seconds), for ordering decisions; Stripe does not deliver in order. */
  created: z.number().int(),
  objectId: z.string().nullable(),
  customerId: z.string().nullable(),
  receivedAt: isoInstant,
  event: z.record(z.string(), z.unknown()),
});

/** A plan's code: lowercase letters, digits, `-` and `_` (it names the plan in URLs, Stripe metadata and config). */
export const planCode = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1–40 lowercase letters, digits, - or _');
/** One currency's prices of a plan, in minor units: the fee per interval and the overage beyond the allowance. */
export const planPriceSchema = z.strictObject({
  fee: minorUnits.min(0),
  overagePerMinute: minorUnits.min(0),
  overagePerBooking: minorUnits.min(0).default(0),
});
/**
 * A plan the platform operator offers (admin API `POST /api/v1/plans`, or BILLING_PLANS at billing's start-up): a
 * monthly or yearly fee with included talk minutes and bookings, overage rates, per-currency prices, trial days.
 * `postpaid`: overage is invoiced with the next subscription invoice instead of debited from the prepaid balance.
 */
export const planDefinitionSchema = z.strictObject({
  code: planCode,
  name: z.string().trim().min(1).max(100),
  interval: z.enum(['month', 'year']),
  includedMinutes: z.number().int().min(0).max(10_000_000),
  includedBookings: z.number().int().min(0).max(10_000_000).default(0),
  trialDays: z.number().int().min(0).max(730).default(0),
  postpaid: z.boolean().default(false),
  prices: z.partialRecord(currency, planPriceSchema).refine((p) => Object.keys(p).length > 0, 'name a price in at least one of EUR, USD, GBP'),
  active: z.boolean().default(true),
});
export type PlanDefinition = z.output<typeof planDefinitionSchema>;

/** A subscription invoice could not be charged: a reminder to the company's admins during the grace period. */
export const planPaymentOverdueSchema = z.object({
  stripeInvoiceId: z.string().min(1),
  amountDue: minorUnits,
  currency,
  /** When calls start being refused unless paid. */
  graceEndsAt: isoInstant,
  /** 1 for the first notice, then one per reminder. */
  reminder: z.number().int().min(1),
  planCode,
});
/** The grace period ended unpaid: the company's new calls are refused, with the company's own message when it set one. */
export const planSuspendedSchema = z.object({
  stripeInvoiceId: z.string().min(1),
  message: z.string().max(500).nullable(),
});
/** Every failed subscription invoice is paid: calls are taken again at once. */
export const planReinstatedSchema = z.object({ stripeInvoiceId: z.string().min(1).nullable() });
