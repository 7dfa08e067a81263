import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CurrentPortalPrincipal, PortalApi, PortalPrincipal, Public, requestMeta } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { parseOrBadRequest, UUID_RE, ZodBody } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { RateLimit } from '../rate-limit';
import { CancelDto, cancelSchema, freeTimesQuery, INVITATION_TOKEN_RE, listQuery, LogoutDto, logoutSchema, PortalLoginDto, portalLoginSchema, RegisterDto, registerSchema, RescheduleDto, rescheduleSchema } from './dto';
import { PortalAccountsService } from './portal-accounts.service';
import { PortalBookingClient } from './portal-booking.client';

const IDEMPOTENCY_KEY_RE = /^[\w.:-]{1,100}$/;

/**
 * The customer portal. Registration and sign-in are public (and limited as sensitive operations); everything
 * else needs a portal token, is limited per customer (`portal`, 60/min) and acts only on the signed-in
 * customer's own appointments within their company.
 */
@Controller('api/portal')
@PortalApi()
@RateLimit('portal')
export class PortalController {
  constructor(
    private readonly accounts: PortalAccountsService,
    private readonly booking: PortalBookingClient,
    private readonly audit: AuditService,
  ) {}

  /** The invitation token + a password → a portal account (201). Used 409, revoked/expired 410, unknown 404. */
  @Public()
  @Post('register')
  @RateLimit('sensitive', { account: (r) => invitationAccount(r) })
  register(@Body(new ZodBody(registerSchema)) dto: RegisterDto, @Req() request: FastifyRequest) {
    return this.accounts.register(dto, requestMeta(request));
  }

  /** E-mail or phone + password → a portal token (shown once). Any failure is the same 401. */
  @Public()
  @Post('login')
  @HttpCode(200)
  @RateLimit('sensitive', { account: (r) => loginAccount(r) })
  login(@Body(new ZodBody(portalLoginSchema)) dto: PortalLoginDto, @Req() request: FastifyRequest) {
    return this.accounts.login(dto, requestMeta(request));
  }

  /** Revokes the presented token, or with `{all: true}` every portal token of this customer. */
  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentPortalPrincipal() principal: PortalPrincipal, @Body(new ZodBody(logoutSchema)) dto: LogoutDto, @Req() request: FastifyRequest) {
    await this.accounts.logout(principal, dto.all, requestMeta(request));
  }

  @Get('me')
  me(@CurrentPortalPrincipal() principal: PortalPrincipal) {
    return this.accounts.me(principal);
  }

  /** The customer's upcoming appointments (`?includePast=true` for past ones too). */
  @Get('appointments')
  @DescribeQuery(listQuery)
  async list(@CurrentPortalPrincipal() principal: PortalPrincipal, @Query() query: unknown) {
    const q = parseOrBadRequest(listQuery, query, 'query');
    // Booking knows customers by phone; someone invited by e-mail only has no appointments there.
    if (!principal.phone) return { data: [] };
    const result = await this.booking.ask(principal, { operation: 'appointment.list', includePast: q.includePast });
    return { data: result.appointments ?? [] };
  }

  /** Free start times for moving one of the customer's own appointments (same service), `?from&to` (≤ 14 days). */
  @Get('appointments/:appointmentId/free-times')
  @DescribeQuery(freeTimesQuery)
  async freeTimes(@CurrentPortalPrincipal() principal: PortalPrincipal, @Param('appointmentId') appointmentId: string, @Query() query: unknown) {
    const own = await this.ownAppointment(principal, appointmentId);
    const q = parseOrBadRequest(freeTimesQuery, query, 'query');
    const result = await this.booking.ask(principal, { operation: 'availability.get', serviceId: own.serviceId, staffId: null, from: q.from.toISOString(), to: q.to.toISOString() });
    return {
      appointmentId: own.appointmentId,
      serviceId: own.serviceId,
      serviceName: result.serviceName ?? null,
      durationMinutes: result.durationMinutes ?? null,
      timeZone: result.timeZone ?? null,
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      // ISO instants with the company's offset
      starts: result.slots ?? [],
    };
  }

  @Post('appointments/:appointmentId/cancel')
  @HttpCode(200)
  @RateLimit('portal_change')
  async cancel(
    @CurrentPortalPrincipal() principal: PortalPrincipal,
    @Param('appointmentId') appointmentId: string,
    @Body(new ZodBody(cancelSchema)) dto: CancelDto,
    @Req() request: FastifyRequest,
  ) {
    const id = this.appointmentId(principal, appointmentId);
    const result = await this.booking.ask(principal, { operation: 'appointment.cancel', appointmentId: id, reason: dto.reason ?? null, cancelledBy: 'customer' });
    if (!result.alreadyCancelled) {
      await this.audit.record({ action: 'portal.appointment.cancelled', companyId: principal.companyId, actorTokenId: principal.tokenId, targetType: 'appointment', targetId: id, changes: { portalCustomerId: principal.customerId, reason: dto.reason ?? null }, ...requestMeta(request) });
    }
    return { appointment: result.appointment, alreadyCancelled: result.alreadyCancelled === true };
  }

  /** `{start}`: the new start instant. `Idempotency-Key` makes a retried request return the first answer. */
  @Post('appointments/:appointmentId/reschedule')
  @HttpCode(200)
  @RateLimit('portal_change')
  async reschedule(
    @CurrentPortalPrincipal() principal: PortalPrincipal,
    @Param('appointmentId') appointmentId: string,
    @Body(new ZodBody(rescheduleSchema)) dto: RescheduleDto,
    @Req() request: FastifyRequest,
  ) {
    const id = this.appointmentId(principal, appointmentId);
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' && IDEMPOTENCY_KEY_RE.test(header) ? header : randomUUID();
    const result = await this.booking.ask(principal, {
      operation: 'appointment.reschedule',
      appointmentId: id,
      newStart: dto.start,
      // per customer, so one customer's key can never replay another's change
      idempotencyKey: `portal:${principal.customerId}:${key}`,
    });
    if (!result.replayed) {
      await this.audit.record({ action: 'portal.appointment.rescheduled', companyId: principal.companyId, actorTokenId: principal.tokenId, targetType: 'appointment', targetId: id, changes: { portalCustomerId: principal.customerId, start: dto.start }, ...requestMeta(request) });
    }
    return { appointment: result.appointment, replayed: result.replayed === true };
  }

  /** A well-formed id, and a customer booking can know (by phone); anything else is an unknown appointment. */
  private appointmentId(principal: PortalPrincipal, appointmentId: string): string {
    if (!UUID_RE.test(appointmentId) || !principal.phone) throw new NotFoundException('appointment not found');
    return appointmentId.toLowerCase();
  }

  private async ownAppointment(principal: PortalPrincipal, appointmentId: string): Promise<{ appointmentId: string; serviceId: string }> {
    const id = this.appointmentId(principal, appointmentId);
    const result = await this.booking.ask(principal, { operation: 'appointment.list', includePast: false });
    const own = ((result.appointments ?? []) as { appointmentId: string; serviceId: string; status: string }[]).find((a) => a.appointmentId === id && a.status === 'booked');
    if (!own) throw new NotFoundException('appointment not found');
    return own;
  }
}

function invitationAccount(request: FastifyRequest): string | undefined {
  const token = (request.body as { token?: unknown } | undefined)?.token;
  const match = typeof token === 'string' ? INVITATION_TOKEN_RE.exec(token.trim()) : null;
  return match ? `portal-invitation:${match[1]}` : undefined;
}

function loginAccount(request: FastifyRequest): string | undefined {
  const body = request.body as { email?: unknown; phone?: unknown } | undefined;
  const id = typeof body?.email === 'string' ? body.email : typeof body?.phone === 'string' ? body.phone.replace(/[^\d+]/g, '') : undefined;
  return id && id.length <= 320 ? `portal-login:${id}` : undefined;
}
