import { z } from 'zod';
import { PERMISSIONS, ROLES } from '../auth/permissions';
import { newPasswordSchema } from '../auth/password';

export const email = z
  .string()
  .trim()
  .max(254)
  .transform((v) => v.toLowerCase())
  .pipe(z.email('must be an e-mail address'));

/** Login takes anything string-shaped: a malformed e-mail is just a failed sign-in (same 401), not a hint. */
export const loginSchema = z.object({
  email: z.string().max(254),
  password: z.string().max(1024),
});
export type LoginDto = z.infer<typeof loginSchema>;

const password = newPasswordSchema;
const MAX_TOKEN_LIFETIME_MS = 366 * 24 * 3600 * 1000;

export const createTokenSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    abilities: z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    expiresInDays: z.number().int().min(1).max(366).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.expiresAt && v.expiresInDays) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'give expiresAt or expiresInDays, not both' });
    if (v.expiresAt) {
      const at = Date.parse(v.expiresAt);
      if (at <= Date.now()) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be in the future' });
      if (at > Date.now() + MAX_TOKEN_LIFETIME_MS) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'must be within 366 days' });
    }
  })
  .transform((v) => ({
    name: v.name,
    abilities: v.abilities,
    expiresAt: v.expiresAt ? new Date(v.expiresAt) : new Date(Date.now() + (v.expiresInDays ?? 30) * 24 * 3600 * 1000),
  }));
export type CreateTokenDto = z.infer<typeof createTokenSchema>;

export const createUserSchema = z.strictObject({
  email,
  name: z.string().trim().min(1).max(200),
  password,
  role: z.enum(ROLES),
});
export type CreateUserDto = z.infer<typeof createUserSchema>;

export const updateUserSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    password: password.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type UpdateUserDto = z.infer<typeof updateUserSchema>;
