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
  reason: z.enum(['calendar_unavailable', 'no_slot', 'policy', 'other']),
});
export const calcomBookingChangedSchema = z.object({
  trigger: z.string().min(1),
  calcomBookingUid: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
});
