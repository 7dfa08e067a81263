import { CanActivate, ExecutionContext, ForbiddenException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@receptionist/service-runtime';
import { AccessTokensService } from '../identity/access-tokens.service';
import { UUID_RE } from '../common/zod-body';
import { isPlatformAdmin, REQUIRED_ABILITIES_KEY, RequestWithPrincipal } from './principal';

/**
 * Global guard (APP_GUARD). Every route needs a valid bearer token unless it (or its controller) is marked
 * `@Public()`. Then, before any body is parsed:
 * - a route with a `:companyId` path parameter is only reachable for that company's principals (and platform
 *   admins); anyone else gets 404, exactly as for a company that does not exist;
 * - `@RequireAbility(...)` is checked: missing ability → 403.
 * Repositories scope every company-owned query by the principal as well (the second line of defence, and
 * the only one for ids of child records).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new UnauthorizedException();
    const principal = await this.tokens.authenticate(match[1]);
    if (!principal) throw new UnauthorizedException();
    request.principal = principal;

    const companyId = (request.params as Record<string, string> | undefined)?.companyId;
    if (companyId !== undefined && !isPlatformAdmin(principal)) {
      if (!UUID_RE.test(companyId) || companyId.toLowerCase() !== principal.companyId) throw new NotFoundException();
    }

    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_ABILITIES_KEY, targets) ?? [];
    for (const ability of required) {
      if (!principal.abilities.includes(ability)) throw new ForbiddenException(`missing ability: ${ability}`);
    }
    return true;
  }
}
