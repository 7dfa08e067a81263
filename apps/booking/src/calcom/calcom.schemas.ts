import { z } from 'zod';

/**
 * Response shapes of Cal.com API v2 (../shared/reference/domain.md §2), only the fields we use; unknown fields are
 * dropped so a Cal.com addition never breaks us, a missing or mistyped field we rely on does (invalid_response).
 */

export const envelope = <T extends z.ZodType>(data: T) => z.object({ status: z.literal('success'), data });

export const calcomErrorBody = z.object({
  status: z.literal('error'),
  error: z.object({ code: z.string().optional(), message: z.union([z.string(), z.array(z.string())]).optional() }).optional(),
});

export const eventTypeSchema = z.object({
  id: z.number().int(),
  slug: z.string(),
  title: z.string(),
  description: z.string().nullish(),
  lengthInMinutes: z.number().int(),
  lengthInMinutesOptions: z.array(z.number().int()).nullish(),
  teamId: z.number().int().nullish(),
  team: z.object({ id: z.number().int().nullish(), slug: z.string().nullish() }).nullish(),
});
export type CalcomEventType = z.infer<typeof eventTypeSchema>;

/** `GET /v2/slots` 2024-09-04: local date (in the requested zone) → slot starts with offset. */
export const slotsSchema = z.record(
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  z.array(z.object({ start: z.string(), end: z.string().optional() })),
);
export type CalcomSlots = z.infer<typeof slotsSchema>;

export const attendeeSchema = z.object({
  name: z.string(),
  email: z.string(),
  timeZone: z.string(),
  language: z.string().nullish(),
  phoneNumber: z.string().nullish(),
  absent: z.boolean().nullish(),
});

export const bookingSchema = z.object({
  id: z.number().int(),
  uid: z.string(),
  title: z.string(),
  description: z.string().nullish(),
  status: z.enum(['accepted', 'cancelled', 'rejected', 'pending']),
  start: z.string(),
  end: z.string(),
  duration: z.number().int(),
  eventTypeId: z.number().int().nullish(),
  eventType: z.object({ id: z.number().int(), slug: z.string() }).nullish(),
  attendees: z.array(attendeeSchema),
  hosts: z.array(z.object({ id: z.number().int() })).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  cancellationReason: z.string().nullish(),
  reschedulingReason: z.string().nullish(),
  rescheduledFromUid: z.string().nullish(),
  rescheduledToUid: z.string().nullish(),
  createdAt: z.string(),
  updatedAt: z.string().nullish(),
});
export type CalcomBooking = z.infer<typeof bookingSchema>;

export const paginationSchema = z.object({
  totalItems: z.number().int(),
  remainingItems: z.number().int(),
  returnedItems: z.number().int(),
  hasNextPage: z.boolean(),
});

export const bookingListSchema = envelope(z.array(bookingSchema)).extend({ pagination: paginationSchema.optional() });
