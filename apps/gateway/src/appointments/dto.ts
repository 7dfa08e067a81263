import { z } from 'zod';
import { appointmentOutcomes, appointmentSources, appointmentStatuses, isoInstant, language } from '@receptionist/contracts';
import { email } from '../identity/dto';
import { e164Phone } from '../portal/dto';

/** `a,b` in a query string as a list of known values (each named in the error when unknown). */
const csvOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(200)
    .transform((v, ctx) => {
      const list = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
      const unknown = list.filter((s) => !values.includes(s));
      if (!list.length || unknown.length) ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of ${values.join(', ')}` });
      return list as T[number][];
    });

const id = z.string().trim().min(1).max(64);

/**
 * `GET …/appointments`: appointments starting in [from, to), in start order. Every list of the platform pages the
 * same way: `limit` (1–100, default 25) and `cursor` = the `next` of the previous page (opaque; null on the last).
 */
export const listAppointmentsQuery = z
  .strictObject({
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    staffId: id.optional(),
    serviceId: id.optional(),
    customerId: id.optional(),
    status: csvOf(appointmentStatuses).optional(),
    source: csvOf(appointmentSources).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(300).optional(),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: 'must be after from', path: ['to'] });
export type ListAppointmentsQuery = z.infer<typeof listAppointmentsQuery>;

/** `POST …/appointments`: a receptionist books for a customer (matched by phone, else e-mail, else new). */
export const createAppointmentSchema = z.strictObject({
  /** The service's id or its key from the set-up file. */
  serviceId: id,
  staffId: id.nullable().optional(),
  start: isoInstant,
  customer: z
    .strictObject({
      name: z.string().trim().min(1).max(200),
      phone: e164Phone.optional(),
      email: email.optional(),
      /** Defaults to the company's language. */
      language: language.optional(),
    })
    .refine((c) => c.phone !== undefined || c.email !== undefined, { path: ['phone'], message: "give the customer's phone or e-mail (or both)" }),
  notes: z.string().trim().max(1000).nullable().optional(),
});
export type CreateAppointmentDto = z.infer<typeof createAppointmentSchema>;

export const cancelAppointmentSchema = z.strictObject({ reason: z.string().trim().min(1).max(500).nullable().optional() });
export type CancelAppointmentDto = z.infer<typeof cancelAppointmentSchema>;

export const moveAppointmentSchema = z.strictObject({ start: isoInstant });
export type MoveAppointmentDto = z.infer<typeof moveAppointmentSchema>;

export const recordOutcomeSchema = z.strictObject({ outcome: z.enum(appointmentOutcomes) });
export type RecordOutcomeDto = z.infer<typeof recordOutcomeSchema>;

/** `Idempotency-Key`: the same key answers the same appointment and never books twice. */
export const idempotencyKeyHeader = z.string().trim().min(8, 'must be at least 8 characters').max(150).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const MAX_FREE_TIMES_RANGE_MS = 14 * 24 * 3600 * 1000;

/** `GET …/free-times`: a service's free starts in [from, to) (≤ 14 days; from now and 7 days by default), optionally with one staff member. */
export const freeTimesQuery = z
  .strictObject({ serviceId: id, staffId: id.optional(), from: isoInstant.optional(), to: isoInstant.optional() })
  .transform((q) => {
    const from = q.from ? new Date(q.from) : new Date();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 7 * 24 * 3600 * 1000);
    return { serviceId: q.serviceId, staffId: q.staffId ?? null, from, to };
  })
  .refine((q) => q.to > q.from, { path: ['to'], message: 'must be after from' })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_FREE_TIMES_RANGE_MS, { path: ['to'], message: 'at most 14 days after from' });
