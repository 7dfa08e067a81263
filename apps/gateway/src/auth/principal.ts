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

export type RequestWithPrincipal = FastifyRequest & { principal?: Principal };

export const REQUIRED_ABILITIES_KEY = 'gateway:required-abilities';

/** The route needs every listed ability on the caller's token; a token without one gets 403. */
export const RequireAbility = (...abilities: string[]) => SetMetadata(REQUIRED_ABILITIES_KEY, abilities);

/** The authenticated principal of the request (only on non-public routes). */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new UnauthorizedException();
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
