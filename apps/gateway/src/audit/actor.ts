import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { Principal, RequestWithPrincipal, requestMeta } from '../auth/principal';
import type { AuditEntry } from './audit.service';

/** The principal plus the request facts an audit entry records. */
export interface Actor {
  principal: Principal;
  requestId: string | null;
  ip: string | null;
}

export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const request = ctx.switchToHttp().getRequest<RequestWithPrincipal>();
  if (request.principal?.kind !== 'token') throw new UnauthorizedException();
  return { principal: request.principal, ...requestMeta(request) };
});

/** The "who" part of an audit entry for an actor. */
export function auditBy(actor: Actor): Pick<AuditEntry, 'actorUserId' | 'actorTokenId' | 'requestId' | 'ip'> {
  return { actorUserId: actor.principal.userId, actorTokenId: actor.principal.tokenId, requestId: actor.requestId, ip: actor.ip };
}

/** Fields whose value differs, as `{ field: { from, to } }`. */
export function diff<T extends object>(before: T, patch: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, to] of Object.entries(patch)) {
    if (to === undefined) continue;
    const from = (before as Record<string, unknown>)[k];
    if (JSON.stringify(from) !== JSON.stringify(to)) out[k] = { from, to };
  }
  return out;
}
