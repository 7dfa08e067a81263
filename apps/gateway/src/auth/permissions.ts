/**
 * Roles and permissions (Spatie-style: roles own permissions, users own roles). The database tables `role`,
 * `permission` and `role_permission` are seeded from these lists by the migration and are what the guard reads;
 * the constants are used for typing and for validating input.
 */
export const ROLES = ['platform_admin', 'company_owner', 'company_admin', 'company_staff', 'company_readonly', 'company_custom'] as const;
export type Role = (typeof ROLES)[number];
/**
 * The built-in company roles a user can be given by name: owner, admin, staff, read-only. `company_custom` is not
 * one of them: a user holds it together with a company role of their own (`custom_role_id`), whose abilities are
 * the user's permissions (migration 1734300000000).
 */
export const COMPANY_ROLES = ['company_owner', 'company_admin', 'company_staff', 'company_readonly'] as const satisfies readonly Role[];
export type CompanyRole = (typeof COMPANY_ROLES)[number];

export const PERMISSIONS = [
  'companies.create',
  'companies.read',
  'companies.update',
  'branches.manage',
  'routing.manage',
  'users.read',
  'users.manage',
  'tokens.manage',
  'audit.read',
  'appointments.read',
  'appointments.manage',
  'calls.read',
  'billing.read',
  'billing.manage',
  /** Refunds (credit notes): platform admins only, never a company role (migration 1734100000000). */
  'billing.refund',
  /** Price overrides: platform admins only (migration 1733400000000). */
  'pricing.manage',
  'services.manage',
  'health.read',
  'portal.manage',
  /** Callback webhook subscriptions (migration 1733500000000). */
  'integrations.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const companyAdmin: Permission[] = [
  'companies.read',
  'companies.update',
  'branches.manage',
  'routing.manage',
  'users.read',
  'users.manage',
  'tokens.manage',
  'audit.read',
  'appointments.read',
  'appointments.manage',
  'calls.read',
  'billing.read',
  'billing.manage',
  'services.manage',
  'portal.manage',
  'integrations.manage',
];

/**
 * Abilities a company's custom role may be built from: what a company admin holds, nothing platform-wide (creating
 * companies, refunds, prices, platform health).
 */
export const COMPANY_ABILITIES: readonly Permission[] = companyAdmin;

/** The seed mapping (migration 1732500000000; `portal.manage` added by 1732760000000). Change it with a migration, not here alone. */
export const SEED_ROLE_PERMISSIONS: Record<Role, Permission[]> = {
  platform_admin: [...PERMISSIONS],
  company_owner: companyAdmin,
  company_admin: companyAdmin,
  company_staff: ['companies.read', 'users.read', 'tokens.manage', 'appointments.read', 'appointments.manage', 'calls.read', 'portal.manage'],
  company_readonly: ['companies.read', 'users.read', 'appointments.read', 'calls.read', 'billing.read'],
  // From the user's company role, never from role_permission.
  company_custom: [],
};

/**
 * Which roles a principal of a given role may hand out (and change a holder of): only an owner makes or unmakes
 * owners; an admin manages admins, staff, read-only and custom roles.
 */
export const ASSIGNABLE_ROLES: Record<Role, Role[]> = {
  platform_admin: ['platform_admin', ...COMPANY_ROLES, 'company_custom'],
  company_owner: [...COMPANY_ROLES, 'company_custom'],
  company_admin: ['company_admin', 'company_staff', 'company_readonly', 'company_custom'],
  company_staff: [],
  company_readonly: [],
  company_custom: [],
};
