import { z } from 'zod';
import { currency, minorUnits } from './common';

export const paymentSucceededSchema = z.object({
  paymentId: z.string().min(1),
  amount: minorUnits.positive(),
  currency,
  stripeObjectId: z.string().min(1),
});
export const paymentFailedSchema = z.object({
  invoiceId: z.string().nullable(),
  stripeObjectId: z.string().min(1),
  reason: z.string().nullable(),
});
export const invoicePaidSchema = z.object({
  invoiceId: z.string().min(1),
  number: z.string().min(1),
  total: minorUnits,
  currency,
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
