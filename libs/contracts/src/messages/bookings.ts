import { callbackReasons } from './booking-requests';
import { z } from 'zod';
import { e164, isoInstant, language } from './common';

const appointment = z.object({
  appointmentId: z.string().min(1),
  calcomBookingUid: z.string().nullable(),
  serviceId: z.string().min(1),
  serviceName: z.string().min(1),
  staffId: z.string().nullable(),
  startsAt: isoInstant,
  endsAt: isoInstant,
  timeZone: z.string().min(1),
  customer: z.object({
    customerId: z.string().min(1),
    name: z.string().min(1),
    phone: e164.nullable(),
    email: z.email().nullable(),
    language: language,
  }),
  callId: z.string().nullable(),
  /**
   * Added later: the appointment's version, 1 when booked and one more with every change. The three booking topics
   * are consumed independently, so a consumer orders one appointment's facts by it; absent from older producers.
   */
  version: z.number().int().min(1).optional(),
});

export const bookingCreatedSchema = appointment;
export const bookingRescheduledSchema = appointment.extend({
  previousStartsAt: isoInstant,
  previousEndsAt: isoInstant,
});
export const bookingCancelledSchema = appointment.extend({
  reason: z.string().nullable(),
  cancelledBy: z.enum(['customer', 'business', 'system']),
});
/** booking.outcome-recorded: the business marked a past appointment completed or a no-show (or corrected it). */
export const bookingOutcomeRecordedSchema = appointment.extend({
  outcome: z.enum(['completed', 'no_show']),
  previousStatus: z.enum(['booked', 'completed', 'no_show']),
});
export const bookingFailedSchema = z.object({
  callId: z.string().nullable(),
  serviceId: z.string().nullable(),
  requestedStart: isoInstant.nullable(),
  reason: z.string().min(1),
});
export const callbackRequestedSchema = z.object({
  callbackRequestId: z.string().min(1),
  callId: z.string().nullable(),
  name: z.string().nullable(),
  phone: e164.nullable(),
  wish: z.string().min(1),
  reason: z.enum(callbackReasons),
});
/**
 * The gateway answered a voice function with its spoken fallback ("we'll call you back") because no answer came in
 * time: the promise, for booking to record as a callback request. `wishId` is `callbackWishIdFor(requestKey)`, the
 * id voice-agent gives a wish it records for the same request, so the two are one callback request.
 */
export const callbackPromisedSchema = z.object({
  wishId: z.string().min(1).max(100),
  requestKey: z.string().min(1).max(200),
  callId: z.string().nullable(),
  /** The voice function that was asked, as Retell named it. */
  function: z.string().max(100),
  phone: e164,
  wish: z.string().min(1).max(1000),
  reason: z.enum(callbackReasons),
});
export const calcomBookingChangedSchema = z.object({
  trigger: z.string().min(1),
  calcomBookingUid: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
});
