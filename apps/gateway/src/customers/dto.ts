import { z } from 'zod';
import { language } from '@receptionist/contracts';
import { email } from '../identity/dto';
import { e164Phone } from '../portal/dto';

/**
 * `GET …/customers?q=`: by name (the beginnings of its words), phone (digits, `+49…` or `0151…`) or e-mail (its
 * beginning); without `q` every customer. Name order; paged as every list (`limit`, `cursor` = previous `next`).
 */
export const searchCustomersQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(600).optional(),
});
export type SearchCustomersQuery = z.infer<typeof searchCustomersQuery>;

/** Only the given fields change; `null` clears a phone or e-mail (one of them stays). */
export const updateCustomerSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    phone: e164Phone.nullable().optional(),
    email: email.nullable().optional(),
    language: language.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { path: ['name'], message: 'give at least one field to change' });
export type UpdateCustomerDto = z.infer<typeof updateCustomerSchema>;

/** The path's customer is kept; `duplicateId`'s appointments move to it and the duplicate is retired. */
export const mergeCustomersSchema = z.strictObject({ duplicateId: z.uuid() });
export type MergeCustomersDto = z.infer<typeof mergeCustomersSchema>;
