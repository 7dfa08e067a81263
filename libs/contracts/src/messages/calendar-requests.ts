import { z } from 'zod';

/**
 * A company's calendar connection and reconciliation pages, owned by booking (which holds the sealed keys and talks
 * to the calendar): the gateway's admin API and sync ask over request-reply on `calendar.request`. `companyId`
 * comes from the authenticated path (or sync's own run), never from a body.
 */
export const calendarProviders = ['calcom', 'samedi'] as const;
export type CalendarProviderName = (typeof calendarProviders)[number];

const base = { companyId: z.string().min(1) };

export const calendarConnectionInputSchema = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('calcom'),
      /** The company's own Cal.com API key (`cal_…`); stored sealed, never answered. */
      apiKey: z.string().trim().min(8).max(500),
      /** Its team; services' event types must belong to it (or to the key's user when absent). */
      teamSlug: z.string().trim().min(1).max(100).nullable().default(null),
    })
    .strict(),
]);
export type CalendarConnectionInput = z.input<typeof calendarConnectionInputSchema>;

export const calendarRequestSchema = z.discriminatedUnion('operation', [
  /** The connection (provider, team, webhook, health) without secrets; `provider: platform` when none is set. */
  z.object({ operation: z.literal('connection.get'), ...base }),
  /** Checks the credentials against the calendar first (a wrong key is refused, nothing stored), then stores them. */
  z.object({ operation: z.literal('connection.put'), ...base, connection: calendarConnectionInputSchema }),
  /** Back to the platform's default calendar account; the webhook subscription on the company's account is removed. */
  z.object({ operation: z.literal('connection.delete'), ...base }),
  /** Set-up check: which of these event types the company may not use (another company's account or team), with the reason. */
  z.object({ operation: z.literal('eventTypes.check'), ...base, eventTypeIds: z.array(z.number().int().positive()).max(500) }),
  /**
   * Up to `maxRequests` pages of the calendar's bookings changed since `since` (null: all), from `skip`: each is
   * compared with our appointments and drift repaired. Answers the findings, requests used and where to go on.
   */
  z.object({
    operation: z.literal('reconcile.pages'),
    ...base,
    since: z.string().datetime({ offset: true }).nullable(),
    skip: z.number().int().min(0),
    maxRequests: z.number().int().min(1).max(50).default(5),
  }),
]);
export type CalendarRequest = z.input<typeof calendarRequestSchema>;

export const calendarErrorCodes = ['invalid_request', 'not_found', 'calendar_refused', 'calendar_unavailable', 'not_configured'] as const;

export const calendarReplySchema = z.object({
  ok: z.boolean(),
  code: z.enum(calendarErrorCodes).optional(),
  detail: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type CalendarReply = z.infer<typeof calendarReplySchema>;

/** What reconciliation found about one calendar booking, and what it did. */
export const reconciliationFindingKinds = [
  /** Booked in the calendar (its own page, or by hand) and never announced: imported as an appointment. */
  'missed_create',
  /** Cancelled in the calendar while ours was still booked: cancelled here too. */
  'missed_cancel',
  /** Moved in the calendar while ours kept the old time: moved here too. */
  'missed_reschedule',
  /** Ours (our metadata) but held by no appointment: adopted by the appointment it names, or cancelled. */
  'orphan_adopted',
  'orphan_cancelled',
  /** The booking's time differs from ours without a reschedule (an edit in place): reported, not changed. */
  'start_differs',
  /** Drift seen but not repaired (e.g. the calendar refused the cancel); the next run tries again. */
  'not_repaired',
] as const;
export type ReconciliationFindingKind = (typeof reconciliationFindingKinds)[number];
