import { createParamDecorator, ExecutionContext, SetMetadata, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Role } from './permissions';

export { Public, IS_PUBLIC_KEY } from '@receptionist/service-runtime';

/** Who is calling, resolved by the global AuthGuard from `Authorization: Bearer <token>`. */
export interface Principal {
  kind: 'token';
  tokenId: string;
  userId: string;
  /** null for platform admins, who belong to no company and may act on any. */
  companyId: string | null;
  role: Role;
  /** The token's abilities that the user's role still grants. */
  abilities: string[];
}

/**
 * A customer signed in to the portal (portal token `rpt_<id>.<secret>`). It passes only routes marked
 * `@PortalApi()`, and a personal access token never passes those. `customerId` is the portal account id (what
 * the portal rate limit counts by); `companyId` and `phone` are what the portal asks booking with, never input.
 */
export interface PortalPrincipal {
  kind: 'portal';
  tokenId: string;
  customerId: string;
  companyId: string;
  /** E.164; null when the customer was invited by e-mail only (then booking knows no appointments of theirs). */
  phone: string | null;
  email: string | null;
}

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal | PortalPrincipal };

export const PORTAL_API_KEY = 'gateway:portal-api';
/** The route (or controller) belongs to the customer portal: only portal tokens pass, admin tokens never. */
export const PortalApi = () => SetMetadata(PORTAL_API_KEY, true);

/** Resolves portal tokens for the AuthGuard; provided by the portal module (looked up lazily, no module cycle). */
export const PORTAL_AUTHENTICATOR = Symbol('PORTAL_AUTHENTICATOR');
export interface PortalAuthenticator {
  authenticate(bearer: string): Promise<PortalPrincipal | null>;
}

export const REQUIRED_ABILITIES_KEY = 'gateway:required-abilities';

/** The route needs every listed ability on the caller's token; a token without one gets 403. */
export const RequireAbility = (...abilities: string[]) => SetMetadata(REQUIRED_ABILITIES_KEY, abilities);

/** The authenticated principal of the request (only on non-public routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (principal?.kind !== 'token') throw new UnauthorizedException();
  return principal;
});

/** The signed-in portal customer (only on `@PortalApi()` routes). */
export const CurrentPortalPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): PortalPrincipal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (principal?.kind !== 'portal') throw new UnauthorizedException();
  return principal;
});

export const isPlatformAdmin = (p: Principal) => p.role === 'platform_admin';

/**
 * The tenant scope of a principal for repositories: `{ all: true }` for platform admins, otherwise the
 * principal's own company. Repositories filter every company-owned read and write by it, so a record of
 * another company is simply not found (404).
 */
export type TenantScope = { all: true } | { all: false; companyId: string };

export function tenantScope(p: Principal): TenantScope {
  if (isPlatformAdmin(p)) return { all: true };
  if (!p.companyId) throw new UnauthorizedException();
  return { all: false, companyId: p.companyId };
}

export function inScope(scope: TenantScope, companyId: string | null): boolean {
  return scope.all || scope.companyId === companyId;
}

/** Request facts the audit log records. */
export function requestMeta(request: FastifyRequest): { requestId: string | null; ip: string | null } {
  const header = request.headers['x-request-id'];
  const requestId = typeof header === 'string' && /^[\w.:-]{1,100}$/.test(header) ? header : String(request.id ?? '') || null;
  return { requestId, ip: request.ip ?? null };
}
