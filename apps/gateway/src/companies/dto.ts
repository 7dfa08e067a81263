import { toE164 } from '@receptionist/contracts';
import { z } from 'zod';
import { CURRENCIES } from './entities';

/** An IANA zone the runtime knows; returned in its canonical spelling (e.g. `europe/berlin` → `Europe/Berlin`). */
export function canonicalTimeZone(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{1,63}$/.test(value)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * Dialled numbers in E.164. Spaces, dashes, dots and parentheses are accepted and dropped; `00` becomes `+`.
 * National numbers without a country code are refused (we do not guess the country).
 */
/** Dialled numbers are stored as E.164; international form required (the company's country is not known yet). */
export function normalisePhoneNumber(value: string): string | null {
  const e164 = toE164(value);
  return e164 && /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : null;
}

export const timeZone = z.string().transform((v, ctx) => {
  const tz = canonicalTimeZone(v);
  if (!tz) {
    ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as Europe/Berlin' });
    return z.NEVER;
  }
  return tz;
});

const language = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language code such as de or en-GB');
const settings = z.record(z.string(), z.unknown()).refine((s) => JSON.stringify(s).length <= 20000, 'is too large (max 20000 characters)');
const name = z.string().trim().min(1).max(200);
const uuid = z.uuid();

export const createCompanySchema = z.strictObject({
  name,
  timeZone: timeZone.default('Europe/Berlin'),
  language: language.default('de'),
  currency: z.enum(CURRENCIES).default('EUR'),
  settings: settings.default({}),
});
export type CreateCompanyDto = z.infer<typeof createCompanySchema>;

export const updateCompanySchema = z
  .strictObject({
    name: name.optional(),
    timeZone: timeZone.optional(),
    language: language.optional(),
    currency: z.enum(CURRENCIES).optional(),
    settings: settings.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type UpdateCompanyDto = z.infer<typeof updateCompanySchema>;

export const createBranchSchema = z.strictObject({
  name,
  timeZone: timeZone.optional(),
  address: z.string().trim().max(500).optional(),
  active: z.boolean().default(true),
});
export type CreateBranchDto = z.infer<typeof createBranchSchema>;

export const updateBranchSchema = z
  .strictObject({
    name: name.optional(),
    timeZone: timeZone.nullable().optional(),
    address: z.string().trim().max(500).nullable().optional(),
    active: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type UpdateBranchDto = z.infer<typeof updateBranchSchema>;

export const createPhoneNumberSchema = z.strictObject({
  number: z.string().transform((v, ctx) => {
    const n = normalisePhoneNumber(v);
    if (!n) {
      ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form such as +4930123456' });
      return z.NEVER;
    }
    return n;
  }),
  branchId: uuid.optional(),
  label: z.string().trim().max(200).optional(),
});
export type CreatePhoneNumberDto = z.infer<typeof createPhoneNumberSchema>;

export const createAgentSchema = z.strictObject({
  agentId: z.string().trim().regex(/^[A-Za-z0-9_-]{3,100}$/, 'must be a Retell agent id (letters, digits, _ and -)'),
  branchId: uuid.optional(),
  label: z.string().trim().max(200).optional(),
});
export type CreateAgentDto = z.infer<typeof createAgentSchema>;
