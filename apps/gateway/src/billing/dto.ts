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

export const ledgerQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** The `next` of the previous page (the seq of its last entry). */
  before: z.coerce.number().int().min(1).optional(),
});

export const invoicesQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(24) });

/** `Idempotency-Key`: the same key answers the same checkout session (a retried POST never opens a second one). */
export const idempotencyKeyHeader = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional();
