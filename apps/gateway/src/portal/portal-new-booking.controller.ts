import { Body, Controller, Get, Post, Query, Req, UnprocessableEntityException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CurrentPortalPrincipal, PortalApi, PortalPrincipal, requestMeta } from '../auth/principal';
import { AuditService } from '../audit/audit.service';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { RateLimit } from '../rate-limit';
import { BookDto, bookSchema, serviceFreeTimesQuery } from './dto';
import { PortalAccountsService } from './portal-accounts.service';
import { PortalBookingClient } from './portal-booking.client';

const IDEMPOTENCY_KEY_RE = /^[\w.:-]{1,100}$/;

interface CatalogueService {
  serviceId: string;
  name: string;
  durationMinutes: number;
  priceMinor: number | null;
}

/**
 * A customer books a new appointment in the portal: the company's services, their free start times, and the
 * booking itself — through booking's own path (`appointment.book` on booking.request: locks, Cal.com, events),
 * so confirmations and callbacks follow as for a phone booking. Booked under the signed-in customer's phone.
 */
@Controller('api/portal')
@PortalApi()
@RateLimit('portal')
export class PortalNewBookingController {
  constructor(
    private readonly booking: PortalBookingClient,
    private readonly accounts: PortalAccountsService,
    private readonly audit: AuditService,
  ) {}

  /** The services a customer may book (name, duration, price in minor units); nothing internal. */
  @Get('services')
  async services(@CurrentPortalPrincipal() principal: PortalPrincipal) {
    const result = await this.booking.ask(principal, { operation: 'catalogue.get' });
    const catalogue = result.catalogue as { services?: CatalogueService[]; timeZone?: string } | undefined;
    return {
      timeZone: catalogue?.timeZone ?? null,
      data: (catalogue?.services ?? []).map((s) => ({ serviceId: s.serviceId, name: s.name, durationMinutes: s.durationMinutes, priceMinor: s.priceMinor ?? null })),
    };
  }

  /** Free start times of one service, `?serviceId&from&to` (≤ 14 days; from now and 7 days by default). */
  @Get('free-times')
  @DescribeQuery(serviceFreeTimesQuery)
  async freeTimes(@CurrentPortalPrincipal() principal: PortalPrincipal, @Query() query: unknown) {
    const q = parseOrBadRequest(serviceFreeTimesQuery, query, 'query');
    const result = await this.booking.ask(principal, { operation: 'availability.get', serviceId: q.serviceId, staffId: null, from: q.from.toISOString(), to: q.to.toISOString() });
    return { serviceId: q.serviceId, serviceName: result.serviceName ?? null, durationMinutes: result.durationMinutes ?? null, timeZone: result.timeZone ?? null, from: q.from.toISOString(), to: q.to.toISOString(), starts: result.slots ?? [] };
  }

  /** `{serviceId, start}` → 201 with the appointment. `Idempotency-Key` makes a retried request answer the first booking. */
  @Post('appointments')
  async book(@CurrentPortalPrincipal() principal: PortalPrincipal, @Body(new ZodBody(bookSchema)) dto: BookDto, @Req() request: FastifyRequest) {
    // Booking knows customers by phone: without one the appointment would not show up in this portal.
    if (!principal.phone) throw new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', message: 'phone: booking in the portal needs a phone number on the account; ask the business to invite you by phone', field: 'phone' });
    const me = await this.accounts.me(principal);
    const header = request.headers['idempotency-key'];
    const key = typeof header === 'string' && IDEMPOTENCY_KEY_RE.test(header) ? header : randomUUID();
    const language = /^de\b/i.test(String(request.headers['accept-language'] ?? '')) ? 'de' : 'en';
    const result = await this.booking.ask(principal, {
      operation: 'appointment.book',
      serviceId: dto.serviceId,
      staffId: null,
      start: dto.start,
      customer: { name: me.name, language },
      notes: dto.notes ?? null,
      // per customer, so one customer's key can never replay another's booking
      idempotencyKey: `portal:${principal.customerId}:${key}`,
    });
    const appointment = result.appointment as { appointmentId: string } | undefined;
    if (!result.replayed && appointment) {
      await this.audit.record({ action: 'portal.appointment.booked', companyId: principal.companyId, actorTokenId: principal.tokenId, targetType: 'appointment', targetId: appointment.appointmentId, changes: { portalCustomerId: principal.customerId, serviceId: dto.serviceId, start: dto.start }, ...requestMeta(request) });
    }
    return { appointment, replayed: result.replayed === true };
  }
}
