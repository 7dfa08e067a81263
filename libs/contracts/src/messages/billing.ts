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
