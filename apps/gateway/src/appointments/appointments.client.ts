import { ConflictException, HttpException, Inject, Injectable, NotFoundException, ServiceUnavailableException, UnprocessableEntityException } from '@nestjs/common';
import type { Logger } from 'pino';
import { BookingReply, BookingRequest, Topics, bookingReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest, refusedField } from '../common/ask-owner';

/** Booking makes a Cal.com booking within this; the voice functions wait as long. */
export const APPOINTMENTS_REQUEST_TIMEOUT_MS = 12_000;

const UNAVAILABLE = 'appointments are not available right now; try again shortly';

/**
 * Asks booking (which owns appointments) over `booking.request`, as the voice agent does, and turns its refusals
 * into the admin API's answers. The company always comes from the path the AuthGuard checked.
 */
@Injectable()
export class AppointmentsClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(request: BookingRequest): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.bookingRequest.name,
      companyId: request.companyId,
      subject: 'appointmentId' in request ? request.appointmentId : null,
      request,
      timeoutMs: APPOINTMENTS_REQUEST_TIMEOUT_MS,
      schema: bookingReplySchema,
      unavailable: UNAVAILABLE,
    });
    if (reply.ok) return reply.data ?? {};
    throw refusal(reply);
  }
}

/** Booking's refusal as an HTTP answer that names the field; alternatives (free starts) go along where booking offers them. */
export function refusal(reply: BookingReply): HttpException {
  const detail = reply.detail ?? 'refused';
  const field = refusedField(detail, 'start');
  const alternatives = Array.isArray(reply.data?.alternatives) ? (reply.data.alternatives as unknown[]).filter((a): a is string => typeof a === 'string') : undefined;
  const body = (statusCode: number, error: string) => ({ statusCode, error, message: detail, field, code: reply.code, ...(alternatives ? { alternatives } : {}) });
  switch (reply.code) {
    case 'invalid_request':
      return refusedAsBadRequest(detail, 'body');
    case 'unknown_service':
    case 'unknown_staff':
      return refusedAsBadRequest(detail, reply.code === 'unknown_service' ? 'serviceId' : 'staffId');
    case 'not_found':
      // A company without a booking set-up cannot book yet; anything else unknown is a 404 like another company's.
      if (field === 'companyId') return new ConflictException(body(409, 'Conflict'));
      // Merging with another company's (or a missing) record is bad input about that field, not a missing path.
      if (field === 'duplicateId') return refusedAsBadRequest(detail, field);
      return new NotFoundException(`${field === 'customerId' || field === 'duplicateId' ? 'customer' : 'appointment'} not found`);
    case 'slot_taken':
    case 'staff_unavailable':
    case 'policy_denied':
    case 'conflict':
      return new ConflictException(body(409, 'Conflict'));
    case 'outside_opening_hours':
    case 'too_short_notice':
    case 'beyond_horizon':
    case 'in_the_past':
      return new UnprocessableEntityException(body(422, 'Unprocessable Entity'));
    default:
      return new ServiceUnavailableException(UNAVAILABLE);
  }
}
