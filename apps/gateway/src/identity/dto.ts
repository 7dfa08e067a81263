import { z } from 'zod';
import { PERMISSIONS, Role, ROLES } from '../auth/permissions';
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

const customRoleId = z.uuid('must be the id of one of the company\'s roles').transform((v) => v.toLowerCase());
const NAMED_ROLES = ROLES.filter((r) => r !== 'company_custom') as [Exclude<Role, 'company_custom'>, ...Exclude<Role, 'company_custom'>[]];

/** `customRoleId` gives the user a company role of the company's own (role `company_custom`); `role` a built-in one. */
function oneRole(v: { role?: string; customRoleId?: string }, ctx: z.RefinementCtx, required: boolean) {
  if (v.role && v.customRoleId) ctx.addIssue({ code: 'custom', path: ['customRoleId'], message: 'give role or customRoleId, not both' });
  if (required && !v.role && !v.customRoleId) ctx.addIssue({ code: 'custom', path: ['role'], message: 'give a role or a customRoleId' });
}

export const createUserSchema = z
  .strictObject({
    email,
    name: z.string().trim().min(1).max(200),
    password,
    role: z.enum(NAMED_ROLES).optional(),
    customRoleId: customRoleId.optional(),
  })
  .superRefine((v, ctx) => oneRole(v, ctx, true))
  .transform(({ customRoleId: id, role, ...rest }) => ({ ...rest, role: (id ? 'company_custom' : role!) as Role, customRoleId: id ?? null }));
export type CreateUserDto = z.infer<typeof createUserSchema>;

export const updateUserSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(NAMED_ROLES).optional(),
    customRoleId: customRoleId.optional(),
    disabled: z.boolean().optional(),
    password: password.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update')
  .superRefine((v, ctx) => oneRole(v, ctx, false))
  .transform(({ customRoleId: id, role, ...rest }): { name?: string; disabled?: boolean; password?: string; role?: Role; customRoleId?: string | null } => ({
    ...rest,
    ...(id ? { role: 'company_custom' as Role, customRoleId: id } : role ? { role: role as Role, customRoleId: null } : {}),
  }));
export type UpdateUserDto = z.infer<typeof updateUserSchema>;
