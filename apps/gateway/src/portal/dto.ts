import { z } from 'zod';
import { isoInstant, toE164 } from '@receptionist/contracts';
import { bearerSecretPattern } from '../common/bearer-secret';
import { email } from '../identity/dto';

/** A phone number in E.164 (`+4930123456`); spaces, dashes and a leading 00 are tolerated and normalised. */
export const e164Phone = z
  .string()
  .max(40)
  .transform((v, ctx) => {
    const normalised = toE164(v);
    if (!normalised) ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form such as +4930123456' });
    return normalised ?? v;
  });

export const createInvitationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    phone: e164Phone.optional(),
    email: email.optional(),
    /** Defaults to PORTAL_INVITATION_TTL_HOURS. */
    expiresInHours: z.number().int().min(1).max(720).optional(),
  })
  .refine((v) => v.phone !== undefined || v.email !== undefined, { path: ['phone'], message: 'give the customer\'s phone or e-mail (or both)' });
export type CreateInvitationDto = z.infer<typeof createInvitationSchema>;

const password = z.string().min(12, 'must be at least 12 characters').max(1024);

/** `rpi_<invitation id>.<secret>`, as in the invitation link. */
export const INVITATION_TOKEN_RE = bearerSecretPattern('rpi');

export const registerSchema = z.strictObject({
  token: z.string().trim().max(200).regex(INVITATION_TOKEN_RE, 'must be the token from the invitation link'),
  password,
});
export type RegisterDto = z.infer<typeof registerSchema>;

/** Anything string-shaped: a malformed e-mail or phone is just a failed sign-in (the same 401), not a hint. */
export const portalLoginSchema = z
  .strictObject({
    email: z.string().max(254).optional(),
    phone: z.string().max(40).optional(),
    password: z.string().max(1024),
    /** Only needed when the same person has portal accounts with the same password at several companies. */
    companyId: z.string().max(36).optional(),
  })
  .refine((v) => (v.email === undefined) !== (v.phone === undefined), { path: ['email'], message: 'give either email or phone' });
export type PortalLoginDto = z.infer<typeof portalLoginSchema>;

export const logoutSchema = z.strictObject({
  /** Sign out everywhere: revoke every portal token of this customer, not only the presented one. */
  all: z.boolean().default(false),
});
export type LogoutDto = z.infer<typeof logoutSchema>;

export const cancelSchema = z.strictObject({ reason: z.string().trim().max(500).optional() });
export type CancelDto = z.infer<typeof cancelSchema>;

export const rescheduleSchema = z.strictObject({ start: isoInstant });
export type RescheduleDto = z.infer<typeof rescheduleSchema>;

export const listQuery = z.object({ includePast: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });

const MAX_FREE_TIMES_RANGE_MS = 14 * 24 * 3600 * 1000;
export const freeTimesQuery = z
  .object({ from: isoInstant.optional(), to: isoInstant.optional() })
  .transform((q) => {
    const from = q.from ? new Date(q.from) : new Date();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 7 * 24 * 3600 * 1000);
    return { from, to };
  })
  .refine((q) => q.to > q.from, { path: ['to'], message: 'must be after from' })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_FREE_TIMES_RANGE_MS, { path: ['to'], message: 'at most 14 days after from' });

/** `POST /api/portal/appointments`: a new appointment of one of the company's services at a free start time. */
export const bookSchema = z.strictObject({
  serviceId: z.string().trim().min(1).max(100),
  start: isoInstant,
  notes: z.string().trim().max(1000).optional(),
});
export type BookDto = z.infer<typeof bookSchema>;

/** `GET /api/portal/free-times?serviceId&from&to`: free start times of a service (≤ 14 days). */
export const serviceFreeTimesQuery = z
  .object({ serviceId: z.string().trim().min(1).max(100), from: isoInstant.optional(), to: isoInstant.optional() })
  .transform((q) => {
    const from = q.from ? new Date(q.from) : new Date();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 7 * 24 * 3600 * 1000);
    return { serviceId: q.serviceId, from, to };
  })
  .refine((q) => q.to > q.from, { path: ['to'], message: 'must be after from' })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_FREE_TIMES_RANGE_MS, { path: ['to'], message: 'at most 14 days after from' });
