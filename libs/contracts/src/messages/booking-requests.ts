import { z } from 'zod';
import { e164, isoInstant, language } from './common';

/**
 * voice-agent (and the gateway's portal) ask booking over request-reply on `booking.request`. One envelope
 * per operation; booking answers `bookingReplySchema`. Every operation is scoped by `companyId`, set by the
 * gateway from the authenticated call or token, never from what a caller says.
 */
const base = { companyId: z.string().min(1), callId: z.string().nullable().default(null) };
const customerRef = z.object({ phone: e164 }).or(z.object({ customerId: z.string().min(1) }));
/** Why staff should call back; `handoff`: the caller asked for a person outside staffed hours. */
export const callbackReasons = ['calendar_unavailable', 'no_slot', 'policy', 'other', 'handoff'] as const;
export type CallbackReasonName = (typeof callbackReasons)[number];
/** open: staff still have to call back; done: called back; closed: no call back needed any more. */
export const callbackStatuses = ['open', 'done', 'closed'] as const;
/** Where an appointment was made: the voice agent, the customer portal, the business's staff (admin API), Cal.com's own page. */
export const appointmentSources = ['phone', 'portal', 'staff', 'calcom'] as const;
export type AppointmentSource = (typeof appointmentSources)[number];
/** booked until it happened: then completed or no_show (recorded by the business), or cancelled before. */
export const appointmentStatuses = ['booked', 'cancelled', 'no_show', 'completed'] as const;
export type AppointmentStatusName = (typeof appointmentStatuses)[number];
/** What the business records after the start: the customer came (completed) or did not (no_show). */
export const appointmentOutcomes = ['completed', 'no_show'] as const;

export const bookingRequestSchema = z.discriminatedUnion('operation', [
  /** The company's active services, staff and policies (for the agent's prompt and name matching). */
  z.object({ operation: z.literal('catalogue.get'), ...base }),
  /** A caller recognised by number: customer and their upcoming appointments (null if unknown). */
  z.object({ operation: z.literal('customer.lookup'), ...base, phone: e164 }),
  /** Free start times of a service between two instants (inclusive from, exclusive to). */
  z.object({
    operation: z.literal('availability.get'),
    ...base,
    serviceId: z.string().min(1),
    staffId: z.string().nullable().default(null),
    from: isoInstant,
    to: isoInstant,
  }),
  /**
   * The call holds a free start for a few minutes while the caller decides (reserve_slot): other calls neither see
   * nor book it. Released by `slot.release`, the call's own booking, the call's end, or after five minutes.
   */
  z.object({
    operation: z.literal('slot.hold'),
    ...base,
    callId: z.string().min(1),
    serviceId: z.string().min(1),
    staffId: z.string().nullable().default(null),
    start: isoInstant,
  }),
  /** Releases the call's holds (all, or the one at `start`). */
  z.object({ operation: z.literal('slot.release'), ...base, callId: z.string().min(1), start: isoInstant.optional() }),
  z.object({
    operation: z.literal('appointment.book'),
    ...base,
    serviceId: z.string().min(1),
    staffId: z.string().nullable().default(null),
    start: isoInstant,
    customer: z.object({
      name: z.string().min(1),
      phone: e164.nullable(),
      email: z.email().nullable(),
      language,
      /**
       * false: the number was given by a caller whose own number was withheld. The appointment is booked under
       * it, but an existing customer with that number keeps their name and details.
       */
      numberVerified: z.boolean().default(true),
    }),
    notes: z.string().max(1000).nullable().default(null),
    /** Same key → same answer and never a second booking (Retell retries a tool call up to twice). */
    idempotencyKey: z.string().min(1).max(200),
    /** Who books: the voice agent unless said otherwise (the admin API books as `staff`). */
    source: z.enum(appointmentSources).default('phone'),
  }),
  /** Upcoming (and, with `includePast`, past) appointments of one customer. */
  z.object({ operation: z.literal('appointment.list'), ...base, customer: customerRef, includePast: z.boolean().default(false) }),
  z.object({
    operation: z.literal('appointment.cancel'),
    ...base,
    customer: customerRef,
    appointmentId: z.string().min(1),
    reason: z.string().max(500).nullable().default(null),
    cancelledBy: z.enum(['customer', 'business', 'system']).default('customer'),
  }),
  z.object({
    operation: z.literal('appointment.reschedule'),
    ...base,
    customer: customerRef,
    appointmentId: z.string().min(1),
    newStart: isoInstant,
    idempotencyKey: z.string().min(1).max(200),
    /** The customer's move is subject to the reschedule policy (notice, count); the business's is not. */
    movedBy: z.enum(['customer', 'business']).default('customer'),
  }),
  /**
   * The admin API: a company's appointments whose start lies in [from, to), by staff, service, status and source,
   * in start order (cursor = `<start ms>.<id>` of the last row of the previous page).
   */
  z.object({
    operation: z.literal('appointments.search'),
    ...base,
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    staffId: z.string().min(1).max(64).optional(),
    serviceId: z.string().min(1).max(64).optional(),
    status: z.array(z.enum(appointmentStatuses)).max(4).optional(),
    source: z.array(z.enum(appointmentSources)).max(4).optional(),
    customerId: z.string().min(1).max(64).optional(),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().max(300).optional(),
  }),
  /** One appointment of the company with its customer and history (made, moved, cancelled, outcome, policy decisions). */
  z.object({ operation: z.literal('appointment.get'), ...base, appointmentId: z.string().min(1) }),
  /** The business records that a past appointment happened (completed) or the customer did not come (no_show). */
  z.object({
    operation: z.literal('appointment.record-outcome'),
    ...base,
    appointmentId: z.string().min(1),
    outcome: z.enum(appointmentOutcomes),
  }),
  /** The admin API: a company's customers by name, phone or e-mail (`query`), by name (cursor from the previous page). */
  z.object({
    operation: z.literal('customers.search'),
    ...base,
    query: z.string().trim().min(1).max(200).optional(),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().max(600).optional(),
  }),
  /** One customer with their appointments (a merged record names the one it was merged into). */
  z.object({ operation: z.literal('customer.get'), ...base, customerId: z.string().min(1) }),
  /** Corrects a customer's details; a number another customer of the company has is refused (merge them instead). */
  z.object({
    operation: z.literal('customer.update'),
    ...base,
    customerId: z.string().min(1),
    name: z.string().min(1).max(200).optional(),
    phone: e164.nullable().optional(),
    email: z.email().max(254).nullable().optional(),
    language: language.optional(),
  }),
  /** Two records of one person: `duplicateId`'s appointments move to `customerId`, which keeps its details and fills gaps. */
  z.object({ operation: z.literal('customers.merge'), ...base, customerId: z.string().min(1), duplicateId: z.string().min(1) }),
  /** Calendar down or nothing suitable: record the caller's wish so staff call back (booking.callback-requested). */
  z.object({
    operation: z.literal('callback.request'),
    ...base,
    /**
     * Added later: the wish's own id (voice-agent's callback_wish row, or derived from the voice function's request
     * key by `callbackWishIdFor`). Booking records one callback request per wish, however often it is sent.
     */
    wishId: z.string().min(1).max(100).optional(),
    name: z.string().nullable(),
    phone: e164.nullable(),
    wish: z.string().min(1).max(1000),
    reason: z.enum(callbackReasons),
  }),
  /** The admin API: a company's callback requests, newest first, by status and creation time (cursor = last id). */
  z.object({
    operation: z.literal('callbacks.list'),
    ...base,
    status: z.enum(callbackStatuses).optional(),
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().max(300).optional(),
  }),
  z.object({ operation: z.literal('callback.get'), ...base, callbackRequestId: z.string().min(1) }),
  /** Staff called back (done) or gave up (closed), with a note; reopening is allowed. */
  z.object({
    operation: z.literal('callback.update'),
    ...base,
    callbackRequestId: z.string().min(1),
    status: z.enum(callbackStatuses),
    note: z.string().max(1000).nullable().default(null),
    handledBy: z.string().max(200).nullable().default(null),
  }),
]);
export type BookingRequest = z.input<typeof bookingRequestSchema>;
export type BookingOperation = BookingRequest['operation'];

/** Error codes booking answers with; voice-agent turns each into a spoken sentence. */
export const bookingErrorCodes = [
  'invalid_request',
  'unknown_service',
  'unknown_staff',
  'not_found',
  'slot_taken',
  /** The preferred staff member is busy then; `data.alternatives` are her free times, `data.otherStaff` who is free. */
  'staff_unavailable',
  'outside_opening_hours',
  'too_short_notice',
  'beyond_horizon',
  'in_the_past',
  'policy_denied',
  'calendar_unavailable',
  /** The appointment's state does not allow the change (an outcome for a cancelled or future appointment). */
  'conflict',
] as const;
export type BookingErrorCode = (typeof bookingErrorCodes)[number];

export const appointmentViewSchema = z.object({
  appointmentId: z.string(),
  serviceId: z.string(),
  serviceName: z.string(),
  staffId: z.string().nullable(),
  staffName: z.string().nullable(),
  startsAt: isoInstant,
  endsAt: isoInstant,
  status: z.enum(appointmentStatuses),
  calcomBookingUid: z.string().nullable(),
  rescheduledCount: z.number().int(),
});
export type AppointmentView = z.infer<typeof appointmentViewSchema>;

export const bookingReplySchema = z.object({
  ok: z.boolean(),
  code: z.enum(bookingErrorCodes).optional(),
  /** Developer-facing detail (never read to the caller): which field, which rule. */
  detail: z.string().optional(),
  /** Operation-specific result (see apps/booking/src/requests); on `slot_taken` holds `alternatives: ISO[]`. */
  data: z.record(z.string(), z.unknown()).optional(),
});
export type BookingReply = z.infer<typeof bookingReplySchema>;
