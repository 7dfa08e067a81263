import { BadRequestException, ConflictException, HttpException, Inject, Injectable, NotFoundException, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import type { Logger } from 'pino';
import { BookingRequest, bookingReplySchema, Topics } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import type { PortalPrincipal } from '../auth/principal';
import { askOwner, refusedField } from '../common/ask-owner';

/** How long the portal waits for booking (which owns appointments) before answering 503. */
export const PORTAL_BOOKING_TIMEOUT_MS = 8000;

type WithoutScope<T> = T extends unknown ? Omit<T, 'companyId' | 'customer' | 'callId'> : never;
type Unscoped<T> = T extends unknown ? Omit<T, 'companyId' | 'callId'> : never;
type Book = Extract<BookingRequest, { operation: 'appointment.book' }>;
/** What the portal may ask; company and customer are filled in from the principal only. */
export type PortalBookingAsk =
  | WithoutScope<Extract<BookingRequest, { operation: 'appointment.list' | 'appointment.cancel' | 'appointment.reschedule' }>>
  | Unscoped<Extract<BookingRequest, { operation: 'availability.get' | 'catalogue.get' }>>
  /** A new appointment: the customer's contact comes from the principal; only name and language from the caller. */
  | (Omit<Book, 'companyId' | 'callId' | 'customer'> & { customer: Pick<Book['customer'], 'name' | 'language'> });

/**
 * Asks booking over request-reply on `booking.request`, always as the signed-in customer: `companyId` and
 * `customer.phone` come from the portal principal, never from input. Booking answers another customer's (or
 * another company's) appointment as `not_found`, which is a 404 here like any unknown id.
 */
@Injectable()
export class PortalBookingClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(principal: PortalPrincipal, ask: PortalBookingAsk): Promise<Record<string, unknown>> {
    const request = {
      ...ask,
      companyId: principal.companyId,
      ...(ask.operation === 'availability.get' || ask.operation === 'catalogue.get'
        ? {}
        : ask.operation === 'appointment.book'
          ? { customer: { ...ask.customer, phone: principal.phone, email: principal.email, numberVerified: true } }
          : { customer: { phone: principal.phone! } }),
    } as BookingRequest;
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.bookingRequest.name,
      companyId: principal.companyId,
      subject: 'appointmentId' in ask ? ask.appointmentId : null,
      request,
      timeoutMs: PORTAL_BOOKING_TIMEOUT_MS,
      schema: bookingReplySchema,
      unavailable: UNAVAILABLE,
    });
    if (reply.ok) return reply.data ?? {};
    throw refusal(reply.code, reply.detail, reply.data);
  }
}

const UNAVAILABLE = 'appointments are not available right now; try again shortly';

/** Booking's refusal codes as HTTP answers; `detail` names the field and rule (booking never puts internals there). */
export function refusal(code: string | undefined, detail: string | undefined, data?: Record<string, unknown>): HttpException {
  const message = detail ?? code ?? 'refused';
  const field = refusedField(message);
  const extra = { ...(code ? { code } : {}), ...(field ? { field } : {}) };
  switch (code) {
    case 'not_found':
    case 'unknown_service':
    case 'unknown_staff':
      return new NotFoundException({ statusCode: 404, error: 'Not Found', message: 'appointment not found', ...(code === 'not_found' ? {} : extra) });
    case 'invalid_request':
      return new BadRequestException({ statusCode: 400, error: 'Bad Request', message, ...extra });
    case 'slot_taken': {
      const alternatives = Array.isArray(data?.alternatives) ? (data.alternatives as unknown[]).filter((a) => typeof a === 'string').join(',') : '';
      // alternatives as a comma separated list: the exception filter keeps only primitive fields
      return new ConflictException({ statusCode: 409, error: 'Conflict', message, ...extra, field: 'start', alternatives });
    }
    case 'policy_denied':
      return new ConflictException({ statusCode: 409, error: 'Conflict', message, ...extra, ...(typeof data?.rule === 'string' ? { rule: data.rule } : {}) });
    case 'outside_opening_hours':
    case 'too_short_notice':
    case 'beyond_horizon':
    case 'in_the_past':
      return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', message, ...extra, field: 'start' });
    default:
      return new ServiceUnavailableException(UNAVAILABLE);
  }
}
