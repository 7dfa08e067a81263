import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';

/**
 * Cal.com API v2 simulator (base `/v2`), shapes from ../shared/reference/domain.md §2:
 *
 *   GET  /v2/event-types, /v2/event-types/:id      cal-api-version 2024-06-14
 *   GET  /v2/slots                                 cal-api-version 2024-09-04
 *   POST /v2/bookings, GET /v2/bookings[/:uid],
 *   POST /v2/bookings/:uid/cancel|reschedule       cal-api-version 2024-08-13 (or 2026-02-25, same DTOs)
 *   GET|POST /v2/webhooks, DELETE /v2/webhooks/:id
 *
 * Choices where the real API is not a good test double:
 * - Versions: real Cal.com silently falls back to an older controller (different paths and body shapes) when the
 *   `cal-api-version` header is missing or unknown. The simulator answers 400 naming the expected value instead, so
 *   a client that forgets the header fails loudly in tests rather than talking to a shape we do not model.
 * - A taken or unavailable slot on create/reschedule is a 400 `BadRequestException` "User either already has booking
 *   at this time or is not available" — what API v2 maps `no_available_users_found_error` to (not a 409).
 * - Booking the same event type, start and attendee (email or phone) again returns the existing booking, as Cal.com's
 *   duplicate check does (seed-behaviour §9): clients must compare, not assume a new booking.
 * - Busy time is per event type (one calendar each); a team's event types do not block one another.
 * - Auth: `Authorization: Bearer cal_…` (any `cal_` key, or exactly SIM_CALCOM_API_KEY when set). Slots and creating a
 *   booking accept anonymous calls as Cal.com does, but a present, invalid key is still a 401.
 * - Rate-limit headers (§2.4) are always sent; 429s only when `rateLimit.enforce` is seeded, so load tests of our own
 *   stack are not throttled by the double.
 *
 * - Accounts: besides the default account (any `cal_` key, or SIM_CALCOM_API_KEY), `accounts` in the seed adds Cal.com
 *   accounts of their own (an exact key, a team, event types). An authenticated call sees only its account's event
 *   types, bookings and webhooks (another account's booking or event type is a 404, as Cal.com's ownership checks
 *   answer); webhooks of a booking go only to its account's subscribers. Event type ids are unique across accounts,
 *   as Cal.com's are. `GET /v2/bookings` filters `afterUpdatedAt`/`beforeUpdatedAt` and sorts `sortUpdatedAt`.
 *
 * Test controls (besides the shared /__sim ones): `POST /__sim/calcom/seed` (event types, api key, rate limit; clears
 * bookings), `GET /__sim/calcom/bookings`, `GET /__sim/calcom/webhook-deliveries`, `POST /__sim/calcom/create-answers`
 * (`{answers: [...]}`: scripted answers to the next creates — 429, a cut-off 201, a held 201, an existing booking),
 * `POST /__sim/calcom/drop-webhooks` (`{count}`: the next webhook deliveries are lost, as a webhook Cal.com never
 * delivered), `POST /__sim/calcom/bulk-bookings` (many bookings at once, no webhooks: benches).
 * Webhooks (BOOKING_CREATED/RESCHEDULED/CANCELLED) go to subscribers from `POST /v2/webhooks` and to
 * SIM_CALCOM_WEBHOOK_URL (secret SIM_CALCOM_WEBHOOK_SECRET), signed `X-Cal-Signature-256: hex(HMAC-SHA256(secret, body))`.
 */

// ---- versions, errors ------------------------------------------------------------------------------------------

export const CALCOM_VERSIONS = {
  eventTypes: ['2024-06-14'],
  slots: ['2024-09-04'],
  bookings: ['2024-08-13', '2026-02-25'],
} as const;

/** Nest exception class names, which Cal.com API v2 reports as `error.code`. */
const NEST_EXCEPTION: Record<number, string> = {
  400: 'BadRequestException',
  401: 'UnauthorizedException',
  403: 'ForbiddenException',
  404: 'NotFoundException',
  409: 'ConflictException',
  429: 'ThrottlerException',
  500: 'InternalServerErrorException',
  503: 'ServiceUnavailableException',
};

/** Error envelope as in cal.com `apps/api/v2/src/filters/http-exception.filter.ts`. */
function errorBody(statusCode: number, message: string, path: string) {
  return {
    status: 'error',
    timestamp: new Date().toISOString(),
    path,
    error: { code: NEST_EXCEPTION[statusCode] ?? 'HttpException', message },
  };
}

/** Thrown inside handlers; the error handler turns it into Cal.com's envelope. */
class HttpFailure extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const SLOT_UNAVAILABLE_MESSAGE = 'User either already has booking at this time or is not available';

// ---- time-zone arithmetic (Intl only; no date library in the simulator) ---------------------------------------

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function zonedParts(instant: number, tz: string) {
  let fmt = partsFormatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    partsFormatters.set(tz, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday),
  };
}

/** Minutes east of UTC that `tz` is at `instant`. */
function offsetMinutes(instant: number, tz: string): number {
  const p = zonedParts(instant, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / MINUTE);
}

/** The instant of a wall-clock time in `tz` (two passes settle DST edges). */
function zonedToInstant(year: number, month: number, day: number, minutesOfDay: number, tz: string): number {
  const wall = Date.UTC(year, month - 1, day) + minutesOfDay * MINUTE;
  let guess = wall - offsetMinutes(wall, tz) * MINUTE;
  guess = wall - offsetMinutes(guess, tz) * MINUTE;
  return guess;
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** `2050-09-05T09:00:00.000+02:00`, the format of slot starts in the requested time zone. */
export function formatInZone(instant: number, tz: string): string {
  const p = zonedParts(instant, tz);
  const off = offsetMinutes(instant, tz);
  const sign = off < 0 ? '-' : '+';
  return (
    `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.000` +
    `${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

const localDate = (instant: number, tz: string) => formatInZone(instant, tz).slice(0, 10);
const iso = (instant: number) => new Date(instant).toISOString();

/** ISO 8601 instant or date-only (start/end of that UTC day), as the slots endpoint reads `start`/`end`. */
function parseRangeBound(value: string, edge: 'start' | 'end'): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const day = Date.parse(`${value}T00:00:00.000Z`);
    return edge === 'start' ? day : day + DAY - 1;
  }
  return parseInstant(value);
}

/** An ISO 8601 date-time with an explicit zone (Z or ±hh:mm); anything else is NaN. */
function parseInstant(value: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return NaN;
  return Date.parse(value);
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:mm');
const toMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

// ---- state ----------------------------------------------------------------------------------------------------

const openingHoursSchema = z.object({
  /** 0 = Sunday … 6 = Saturday. */
  days: z.array(z.number().int().min(0).max(6)).min(1),
  start: hhmm,
  end: hhmm,
});

export const eventTypeSeedSchema = z.object({
  id: z.number().int().positive().optional(),
  slug: z.string().regex(/^[a-z0-9-]+$/, 'lower-case slug'),
  title: z.string().min(1).optional(),
  description: z.string().optional(),
  lengthInMinutes: z.number().int().min(5).max(720),
  /** Other bookable lengths (Cal.com multiple durations); `duration` on slots/bookings must be one of these. */
  lengthInMinutesOptions: z.array(z.number().int().min(5).max(720)).optional(),
  /** Start-to-start distance of slots; Cal.com defaults it to the length. */
  slotIntervalMinutes: z.number().int().min(5).max(720).optional(),
  minimumBookingNoticeMinutes: z.number().int().min(0).default(0),
  teamSlug: z.string().optional(),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone').default('Europe/Berlin'),
  openingHours: z.array(openingHoursSchema).min(1),
});

/** A Cal.com account of its own: only `apiKey` opens it; its event types are invisible to every other key. */
export const accountSeedSchema = z.object({
  apiKey: z.string().min(1),
  eventTypes: z.array(eventTypeSeedSchema).min(1),
});
export type EventTypeSeed = z.input<typeof eventTypeSeedSchema>;

export const seedSchema = z.object({
  eventTypes: z.array(eventTypeSeedSchema).min(1).optional(),
  /** When set, only this exact key is accepted (otherwise any `cal_…`). */
  apiKey: z.string().min(1).nullable().optional(),
  rateLimit: z.object({ limit: z.number().int().positive(), enforce: z.boolean() }).partial().optional(),
  /** Extra accounts (replacing earlier ones); their event types need explicit, unique ids. */
  accounts: z.array(accountSeedSchema).optional(),
});
export type CalcomSeed = z.input<typeof seedSchema>;

export interface CalcomEventType {
  id: number;
  slug: string;
  title: string;
  description: string;
  lengthInMinutes: number;
  lengthInMinutesOptions: number[];
  slotIntervalMinutes: number;
  minimumBookingNoticeMinutes: number;
  teamSlug: string | null;
  teamId: number | null;
  timeZone: string;
  openingHours: z.infer<typeof openingHoursSchema>[];
  /** Owning account: DEFAULT_ACCOUNT or an extra account's api key. */
  account: string;
}

export interface CalcomAttendee {
  name: string;
  email: string;
  displayEmail: string;
  timeZone: string;
  language: string;
  absent: boolean;
  phoneNumber?: string;
}

/** Booking output of API v2 2024-08-13 (`outputs/booking.output.ts`), the fields we model. */
export interface CalcomBooking {
  id: number;
  uid: string;
  title: string;
  description: string;
  hosts: { id: number; name: string; email: string; username: string; timeZone: string }[];
  status: 'accepted' | 'cancelled' | 'rejected' | 'pending';
  cancellationReason?: string;
  cancelledByEmail?: string;
  reschedulingReason?: string;
  rescheduledByEmail?: string;
  rescheduledFromUid?: string;
  rescheduledToUid?: string;
  start: string;
  end: string;
  duration: number;
  eventTypeId: number;
  eventType: { id: number; slug: string };
  location: string;
  absentHost: boolean;
  createdAt: string;
  updatedAt: string;
  metadata: Record<string, string>;
  icsUid: string;
  attendees: CalcomAttendee[];
  guests: string[];
  bookingFieldsResponses: Record<string, unknown>;
}

export interface CalcomWebhook {
  id: string;
  subscriberUrl: string;
  triggers: string[];
  active: boolean;
  payloadTemplate: string | null;
  secret: string | null;
  /** From SIM_CALCOM_WEBHOOK_URL: survives reset, not deletable through the API. */
  fromEnv: boolean;
  account: string;
}

export interface WebhookDelivery {
  webhookId: string;
  subscriberUrl: string;
  /** True when dropped on purpose (drop-webhooks): never sent. */
  dropped?: boolean;
  triggerEvent: string;
  body: string;
  signature: string;
  statusCode: number | null;
  error?: string;
  at: string;
}

/**
 * Scripted answers to the next `POST /v2/bookings`, one per create, for tests of how a client copes with what Cal.com
 * really does now and then: `rate_limited` (429 + Retry-After, nothing booked), `garbled` (booked, but the 201's body
 * is cut off), `hold` (booked and announced, the 201 held back for `ms`, as when the answer is slow or the client dies
 * before reading it), `existing` (the create is answered with an earlier booking named by `uid`, whoever made it and
 * whatever its metadata: what the duplicate check above does for the same attendee and start, and what the issue reports
 * of Cal.com's idempotency and some integrations; Cal.com's exact idempotency rule is not in domain.md).
 */
export const createAnswerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rate_limited'), retryAfterSeconds: z.number().int().min(0).max(60).default(1) }),
  z.object({ kind: z.literal('garbled') }),
  z.object({ kind: z.literal('hold'), ms: z.number().int().min(0).max(120_000) }),
  z.object({ kind: z.literal('existing'), uid: z.string().min(1) }),
]);
export type CreateAnswer = z.infer<typeof createAnswerSchema>;

export interface CalcomState extends SimulatorState {
  /** Consumed one per create, in order (see createAnswerSchema). */
  createAnswers: CreateAnswer[];
  eventTypes: Map<number, CalcomEventType>;
  bookings: Map<string, CalcomBooking>;
  webhooks: CalcomWebhook[];
  deliveries: WebhookDelivery[];
  apiKey: string | null;
  /** Extra accounts by api key. */
  accounts: Set<string>;
  /** Webhook deliveries still to drop (drop-webhooks). */
  dropWebhooks: number;
  rateLimit: { limit: number; enforce: boolean };
  /** Requests per key in the current 60 s window. */
  rateWindows: Map<string, { resetAt: number; count: number }>;
  /** Replaces event types (and the other given settings) and clears bookings. */
  seed(input: CalcomSeed): CalcomEventType[];
  /** Resolves once every webhook delivery started so far has finished (tests). */
  flushWebhooks(): Promise<void>;
  pending: Set<Promise<void>>;
  nextBookingId: number;
  nextWebhookId: number;
}

export const DEFAULT_TEAM_SLUG = 'demo-praxis';
export const DEFAULT_ACCOUNT = 'default';
const TEAM_IDS = new Map<string, number>();
const teamIdFor = (slug: string) => {
  if (!TEAM_IDS.has(slug)) TEAM_IDS.set(slug, 100 + TEAM_IDS.size + 1);
  return TEAM_IDS.get(slug)!;
};

const WEEKDAYS = [1, 2, 3, 4, 5];
/** Default seed: a small practice in Berlin, weekdays with a lunch break, plus a Saturday-morning service. */
export const DEFAULT_EVENT_TYPES: EventTypeSeed[] = [
  {
    id: 1001,
    slug: 'beratung',
    title: 'Beratung',
    lengthInMinutes: 30,
    lengthInMinutesOptions: [30, 60],
    teamSlug: DEFAULT_TEAM_SLUG,
    timeZone: 'Europe/Berlin',
    openingHours: [
      { days: WEEKDAYS, start: '09:00', end: '12:00' },
      { days: WEEKDAYS, start: '13:00', end: '17:00' },
    ],
  },
  {
    id: 1002,
    slug: 'haarschnitt',
    title: 'Haarschnitt',
    lengthInMinutes: 45,
    slotIntervalMinutes: 15,
    teamSlug: DEFAULT_TEAM_SLUG,
    timeZone: 'Europe/Berlin',
    openingHours: [
      { days: [2, 3, 4, 5], start: '10:00', end: '18:00' },
      { days: [6], start: '09:00', end: '13:00' },
    ],
  },
  {
    id: 1003,
    slug: 'kontrolle',
    title: 'Kontrolltermin',
    lengthInMinutes: 15,
    teamSlug: DEFAULT_TEAM_SLUG,
    timeZone: 'Europe/Berlin',
    openingHours: [{ days: WEEKDAYS, start: '08:00', end: '12:00' }],
  },
];

function toEventType(seed: z.infer<typeof eventTypeSeedSchema>, fallbackId: number, account = DEFAULT_ACCOUNT): CalcomEventType {
  const options = [...new Set([seed.lengthInMinutes, ...(seed.lengthInMinutesOptions ?? [])])].sort((a, b) => a - b);
  return {
    id: seed.id ?? fallbackId,
    slug: seed.slug,
    title: seed.title ?? seed.slug,
    description: seed.description ?? '',
    lengthInMinutes: seed.lengthInMinutes,
    lengthInMinutesOptions: options,
    slotIntervalMinutes: seed.slotIntervalMinutes ?? seed.lengthInMinutes,
    minimumBookingNoticeMinutes: seed.minimumBookingNoticeMinutes,
    teamSlug: seed.teamSlug ?? null,
    teamId: seed.teamSlug ? teamIdFor(seed.teamSlug) : null,
    timeZone: seed.timeZone,
    openingHours: seed.openingHours,
    account,
  };
}

function envWebhook(env: NodeJS.ProcessEnv): CalcomWebhook[] {
  const url = env.SIM_CALCOM_WEBHOOK_URL;
  if (!url) return [];
  return [
    {
      id: 'env',
      subscriberUrl: url,
      triggers: ['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED'],
      active: true,
      payloadTemplate: null,
      secret: env.SIM_CALCOM_WEBHOOK_SECRET ?? null,
      fromEnv: true,
      account: DEFAULT_ACCOUNT,
    },
  ];
}

export function createCalcomState(env: NodeJS.ProcessEnv = process.env): CalcomState {
  const state: CalcomState = {
    createAnswers: [],
    eventTypes: new Map(),
    bookings: new Map(),
    webhooks: [],
    deliveries: [],
    apiKey: null,
    accounts: new Set(),
    dropWebhooks: 0,
    rateLimit: { limit: 120, enforce: false },
    rateWindows: new Map(),
    pending: new Set(),
    nextBookingId: 1,
    nextWebhookId: 1,
    seed(input) {
      const parsed = seedSchema.parse(input);
      if (parsed.eventTypes) {
        for (const [id, t] of state.eventTypes) if (t.account === DEFAULT_ACCOUNT) state.eventTypes.delete(id);
        parsed.eventTypes.forEach((seed, i) => {
          const type = toEventType(seed, 1001 + i);
          state.eventTypes.set(type.id, type);
        });
      }
      if (parsed.accounts) {
        for (const [id, t] of state.eventTypes) if (t.account !== DEFAULT_ACCOUNT) state.eventTypes.delete(id);
        state.accounts = new Set(parsed.accounts.map((a) => a.apiKey));
        for (const account of parsed.accounts) {
          for (const seed of account.eventTypes) {
            if (seed.id === undefined || state.eventTypes.has(seed.id)) throw new Error(`accounts: event type ${seed.slug} needs an id of its own`);
            state.eventTypes.set(seed.id, toEventType(seed, seed.id, account.apiKey));
          }
        }
      }
      if (parsed.apiKey !== undefined) state.apiKey = parsed.apiKey;
      if (parsed.rateLimit) state.rateLimit = { ...state.rateLimit, ...parsed.rateLimit };
      state.bookings.clear();
      state.rateWindows.clear();
      return [...state.eventTypes.values()];
    },
    async flushWebhooks() {
      while (state.pending.size) await Promise.allSettled([...state.pending]);
    },
    reset() {
      state.eventTypes.clear();
      state.accounts = new Set();
      state.dropWebhooks = 0;
      state.webhooks = envWebhook(env);
      state.deliveries = [];
      state.apiKey = env.SIM_CALCOM_API_KEY || null;
      state.rateLimit = { limit: 120, enforce: false };
      state.nextBookingId = 1;
      state.nextWebhookId = 1;
      state.createAnswers = [];
      state.seed({ eventTypes: DEFAULT_EVENT_TYPES });
    },
  };
  state.reset();
  return state;
}

// ---- slots ----------------------------------------------------------------------------------------------------

const overlaps = (aStart: number, aEnd: number, bStart: number, bEnd: number) => aStart < bEnd && bStart < aEnd;

/** Free slot starts (instants) of an event type in [from, to], minus accepted bookings and the notice period. */
export function freeSlots(
  state: CalcomState,
  type: CalcomEventType,
  from: number,
  to: number,
  duration: number,
  options: { now?: number; ignoreUid?: string } = {},
): number[] {
  const now = options.now ?? Date.now();
  const earliest = now + type.minimumBookingNoticeMinutes * MINUTE;
  const busy = [...state.bookings.values()]
    .filter((b) => b.eventTypeId === type.id && b.status === 'accepted' && b.uid !== options.ignoreUid)
    .map((b) => [Date.parse(b.start), Date.parse(b.end)] as const);
  const out: number[] = [];
  // Walk local calendar days in the event type's zone, one day either side so zone offsets cannot drop a slot.
  for (let cursor = from - DAY; cursor <= to + DAY; cursor += DAY) {
    const d = zonedParts(cursor, type.timeZone);
    for (const window of type.openingHours) {
      if (!window.days.includes(d.weekday)) continue;
      const open = zonedToInstant(d.year, d.month, d.day, toMinutes(window.start), type.timeZone);
      const close = zonedToInstant(d.year, d.month, d.day, toMinutes(window.end), type.timeZone);
      for (let s = open; s + duration * MINUTE <= close; s += type.slotIntervalMinutes * MINUTE) {
        if (s < from || s > to || s < earliest) continue;
        if (busy.some(([bs, be]) => overlaps(s, s + duration * MINUTE, bs, be))) continue;
        out.push(s);
      }
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

// ---- webhooks -------------------------------------------------------------------------------------------------

export type CalcomTrigger = 'BOOKING_CREATED' | 'BOOKING_RESCHEDULED' | 'BOOKING_CANCELLED';

export function signCalcomBody(secret: string | null, body: string): string {
  return secret ? createHmac('sha256', secret).update(body).digest('hex') : 'no-secret-provided';
}

/** Booking payload as Cal.com's CalendarEvent (`packages/features/webhooks/lib/sendPayload.ts`). */
function webhookPayload(state: CalcomState, booking: CalcomBooking, extra: Record<string, unknown>) {
  const type = state.eventTypes.get(booking.eventTypeId);
  const host = booking.hosts[0];
  const utcOffset = (tz: string) => offsetMinutes(Date.parse(booking.start), tz);
  const attendee = booking.attendees[0];
  return {
    type: booking.eventType.slug,
    title: booking.title,
    description: booking.description,
    additionalNotes: booking.description,
    startTime: booking.start,
    endTime: booking.end,
    organizer: { id: host.id, name: host.name, email: host.email, username: host.username, timeZone: host.timeZone, language: { locale: 'de' }, utcOffset: utcOffset(host.timeZone) },
    attendees: booking.attendees.map((a) => ({
      name: a.name,
      email: a.email,
      timeZone: a.timeZone,
      language: { locale: a.language },
      utcOffset: utcOffset(a.timeZone),
      ...(a.phoneNumber ? { phoneNumber: a.phoneNumber } : {}),
    })),
    responses: {
      name: { label: 'your_name', value: attendee.name },
      email: { label: 'email_address', value: attendee.email },
      ...(attendee.phoneNumber ? { attendeePhoneNumber: { label: 'phone_number', value: attendee.phoneNumber } } : {}),
    },
    userFieldsResponses: {},
    location: booking.location,
    uid: booking.uid,
    bookingId: booking.id,
    eventTypeId: booking.eventTypeId,
    status: booking.status.toUpperCase(),
    metadata: { ...booking.metadata },
    length: booking.duration,
    ...(type?.teamSlug ? { team: { id: type.teamId, name: type.teamSlug, members: [] } } : {}),
    ...(attendee.phoneNumber ? { smsReminderNumber: attendee.phoneNumber } : {}),
    ...extra,
  };
}

function emitWebhook(state: CalcomState, trigger: CalcomTrigger, booking: CalcomBooking, extra: Record<string, unknown> = {}) {
  const account = state.eventTypes.get(booking.eventTypeId)?.account ?? DEFAULT_ACCOUNT;
  const subscribers = state.webhooks.filter((w) => w.active && w.account === account && w.triggers.includes(trigger));
  if (!subscribers.length) return;
  const body = JSON.stringify({ triggerEvent: trigger, createdAt: new Date().toISOString(), payload: webhookPayload(state, booking, extra) });
  for (const hook of subscribers) {
    const signature = signCalcomBody(hook.secret, body);
    const delivery: WebhookDelivery = { webhookId: hook.id, subscriberUrl: hook.subscriberUrl, triggerEvent: trigger, body, signature, statusCode: null, at: new Date().toISOString() };
    state.deliveries.push(delivery);
    if (state.dropWebhooks > 0) {
      state.dropWebhooks -= 1;
      delivery.dropped = true;
      delivery.error = 'dropped on purpose';
      continue;
    }
    // One attempt, asynchronously after the API answered, as Cal.com sends them; the outcome is recorded for tests.
    const p = fetch(hook.subscriberUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cal-signature-256': signature, 'x-cal-webhook-version': '2021-10-20' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        delivery.statusCode = res.status;
        await res.arrayBuffer().catch(() => undefined);
      })
      .catch((error: unknown) => {
        delivery.error = error instanceof Error ? error.message : String(error);
      })
      .finally(() => state.pending.delete(p));
    state.pending.add(p);
  }
}

// ---- request validation ---------------------------------------------------------------------------------------

/** First zod issue as "field message", the way Cal.com's ValidationPipe names the property. */
function validationMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  const field = issue.path.join('.') || 'body';
  return `${field} ${issue.message}`;
}

function parseOr400<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new HttpFailure(400, validationMessage(parsed.error));
  return parsed.data;
}

const isoInstant = z.string().refine((v) => !Number.isNaN(parseInstant(v)), 'must be a valid ISO 8601 date string in UTC');
const ianaZone = z.string().refine(isTimeZone, 'must be a valid IANA time zone');
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a valid phone number in E.164 format');

const createBookingSchema = z
  .object({
    start: isoInstant,
    eventTypeId: z.number().int().positive().optional(),
    eventTypeSlug: z.string().optional(),
    teamSlug: z.string().optional(),
    username: z.string().optional(),
    lengthInMinutes: z.number().int().positive().optional(),
    attendee: z
      .object({
        name: z.string().trim().min(1, 'should not be empty'),
        email: z.email('must be an email').optional(),
        phoneNumber: e164.optional(),
        timeZone: ianaZone,
        language: z.string().optional(),
      })
      .refine((a) => a.email || a.phoneNumber, { message: 'email or phoneNumber is required', path: ['email'] }),
    guests: z.array(z.email()).optional(),
    location: z.unknown().optional(),
    bookingFieldsResponses: z.record(z.string(), z.unknown()).optional(),
    metadata: z
      .record(z.string().max(40, 'keys must be at most 40 characters'), z.string().max(500, 'values must be at most 500 characters'))
      .refine((m) => Object.keys(m).length <= 50, 'must have at most 50 keys')
      .optional(),
  })
  .refine((b) => b.eventTypeId !== undefined || (b.eventTypeSlug && (b.teamSlug || b.username)), {
    message: 'is required (or eventTypeSlug with teamSlug or username)',
    path: ['eventTypeId'],
  });

const rescheduleSchema = z.object({
  start: isoInstant,
  rescheduledBy: z.email().optional(),
  reschedulingReason: z.string().optional(),
});
const cancelSchema = z.object({ cancellationReason: z.string().optional() });

const slotsQuery = z.object({
  eventTypeId: z.coerce.number().int().positive().optional(),
  eventTypeSlug: z.string().optional(),
  teamSlug: z.string().optional(),
  username: z.string().optional(),
  start: z.string({ error: 'must be a valid ISO 8601 date string' }),
  end: z.string({ error: 'must be a valid ISO 8601 date string' }),
  timeZone: ianaZone.optional(),
  duration: z.coerce.number().int().positive().optional(),
  slotFormat: z.enum(['range', 'time']).optional(),
  bookingUidToReschedule: z.string().optional(),
});

const webhookSchema = z.object({
  subscriberUrl: z.url(),
  triggers: z.array(z.string()).min(1),
  active: z.boolean().default(true),
  payloadTemplate: z.string().nullable().optional(),
  secret: z.string().nullable().optional(),
});

const STATUSES = ['upcoming', 'recurring', 'past', 'cancelled', 'unconfirmed'] as const;
const listBookingsQuery = z.object({
  status: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((s) => s.every((x) => (STATUSES as readonly string[]).includes(x)), `each value must be one of ${STATUSES.join(', ')}`)
    .optional(),
  attendeeEmail: z.string().optional(),
  attendeeName: z.string().optional(),
  bookingUid: z.string().optional(),
  eventTypeId: z.coerce.number().int().optional(),
  eventTypeIds: z.string().optional(),
  teamId: z.coerce.number().int().optional(),
  afterStart: isoInstant.optional(),
  beforeEnd: isoInstant.optional(),
  afterUpdatedAt: isoInstant.optional(),
  beforeUpdatedAt: isoInstant.optional(),
  sortStart: z.enum(['asc', 'desc']).optional(),
  sortUpdatedAt: z.enum(['asc', 'desc']).optional(),
  take: z.coerce.number().int().min(1).max(250).default(100),
  skip: z.coerce.number().int().min(0).default(0),
});

// ---- routes ---------------------------------------------------------------------------------------------------

type Area = keyof typeof CALCOM_VERSIONS;

function requireVersion(request: FastifyRequest, area: Area): void {
  const header = request.headers['cal-api-version'];
  const allowed: readonly string[] = CALCOM_VERSIONS[area];
  if (typeof header !== 'string' || !allowed.includes(header)) {
    throw new HttpFailure(
      400,
      `cal-api-version header must be ${allowed.join(' or ')} for this endpoint (got ${typeof header === 'string' ? header : 'none'}); ` +
        'the simulator does not model the older versions Cal.com falls back to',
    );
  }
}

export const calcomSimulator: Simulator<CalcomState> = {
  name: 'calcom',
  defaultPort: 4010,
  createState: () => createCalcomState(),
  error: (statusCode, message, request) => ({ statusCode, body: errorBody(statusCode, message, request.url) }),
  register(app: FastifyInstance, state: CalcomState) {
    app.setErrorHandler((error, request, reply) => {
      if (error instanceof HttpFailure) return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message, request.url));
      const status = (error as { statusCode?: number }).statusCode;
      // Fastify's own 4xx (e.g. malformed JSON) keep their status; anything else is a simulator bug → 500.
      const code = status && status >= 400 && status < 500 ? status : 500;
      return reply.code(code).send(errorBody(code, (error as Error).message, request.url));
    });

    /** Auth: returns the key used, or null for an anonymous call on an endpoint that allows it. */
    const authenticate = (request: FastifyRequest, required: boolean): string | null => {
      const header = request.headers.authorization;
      if (!header) {
        if (required) throw new HttpFailure(401, 'No authorization header provided');
        return null;
      }
      const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const valid = key !== undefined && (state.accounts.has(key) || (state.apiKey ? key === state.apiKey : key.startsWith('cal_')));
      if (!valid) throw new HttpFailure(401, 'Invalid API Key');
      return key!;
    };
    /** The account a key opens (null: anonymous, which sees every public event type as Cal.com's booking pages do). */
    const accountOf = (key: string | null) => (key === null ? null : state.accounts.has(key) ? key : DEFAULT_ACCOUNT);
    const visible = (key: string | null, type: CalcomEventType | undefined) => {
      const account = accountOf(key);
      return account === null || type?.account === account;
    };

    /** Rate-limit headers per key (§2.4); 429 with Retry-After only when enforcement is on. */
    const rateLimit = (request: FastifyRequest, reply: FastifyReply, key: string | null) => {
      const bucket = key ?? `ip:${request.ip}`;
      const now = Date.now();
      let window = state.rateWindows.get(bucket);
      if (!window || window.resetAt <= now) {
        window = { resetAt: now + 60_000, count: 0 };
        state.rateWindows.set(bucket, window);
      }
      window.count += 1;
      const { limit, enforce } = state.rateLimit;
      const resetSeconds = Math.ceil((window.resetAt - now) / 1000);
      reply.header('X-RateLimit-Limit-Default', String(limit));
      reply.header('X-RateLimit-Remaining-Default', String(Math.max(0, limit - window.count)));
      reply.header('X-RateLimit-Reset-Default', String(resetSeconds));
      if (enforce && window.count > limit) {
        reply.header('Retry-After', String(resetSeconds));
        throw new HttpFailure(429, 'ThrottlerException: Too Many Requests');
      }
    };

    /** Auth, rate limit and version check in Cal.com's order (guards before the controller). */
    const guard = (request: FastifyRequest, reply: FastifyReply, opts: { auth: boolean; area?: Area }): string | null => {
      const key = authenticate(request, opts.auth);
      rateLimit(request, reply, key);
      if (opts.area) requireVersion(request, opts.area);
      return key;
    };

    const success = (data: unknown, extra: Record<string, unknown> = {}) => ({ status: 'success', data, ...extra });

    const eventTypeOutput = (t: CalcomEventType) => ({
      id: t.id,
      slug: t.slug,
      title: t.title,
      description: t.description,
      lengthInMinutes: t.lengthInMinutes,
      lengthInMinutesOptions: t.lengthInMinutesOptions.length > 1 ? t.lengthInMinutesOptions : undefined,
      slotInterval: t.slotIntervalMinutes,
      minimumBookingNotice: t.minimumBookingNoticeMinutes,
      teamId: t.teamId,
      team: t.teamSlug ? { id: t.teamId, slug: t.teamSlug } : undefined,
      schedulingType: t.teamSlug ? 'roundRobin' : null,
      hidden: false,
      locations: [{ type: 'address', address: 'Praxis', public: true }],
    });

    const findEventType = (ref: { eventTypeId?: number; eventTypeSlug?: string; teamSlug?: string; username?: string }, key: string | null = null) => {
      if (ref.eventTypeId !== undefined) {
        const t = state.eventTypes.get(ref.eventTypeId);
        if (!t || !visible(key, t)) throw new HttpFailure(404, `Event type with id=${ref.eventTypeId} not found`);
        return t;
      }
      if (ref.eventTypeSlug && ref.teamSlug) {
        const t = [...state.eventTypes.values()].find((e) => e.slug === ref.eventTypeSlug && e.teamSlug === ref.teamSlug);
        if (!t) throw new HttpFailure(404, `Event type with slug ${ref.eventTypeSlug} not found for team ${ref.teamSlug}`);
        return t;
      }
      if (ref.eventTypeSlug && ref.username) {
        const t = [...state.eventTypes.values()].find((e) => e.slug === ref.eventTypeSlug && !e.teamSlug);
        if (!t) throw new HttpFailure(404, `Event type with slug ${ref.eventTypeSlug} not found for user ${ref.username}`);
        return t;
      }
      throw new HttpFailure(400, 'eventTypeId or eventTypeSlug with teamSlug or username is required');
    };

    const durationFor = (type: CalcomEventType, requested: number | undefined) => {
      if (requested === undefined) return type.lengthInMinutes;
      if (!type.lengthInMinutesOptions.includes(requested)) {
        throw new HttpFailure(400, `duration must be one of ${type.lengthInMinutesOptions.join(', ')} for this event type`);
      }
      return requested;
    };

    const hostFor = (type: CalcomEventType) => ({
      id: 1,
      name: type.teamSlug ? `${type.teamSlug} host` : 'Simulated Host',
      email: `host@${type.teamSlug ?? 'cal'}.example`,
      username: type.teamSlug ? `${type.teamSlug}-host` : 'host',
      timeZone: type.timeZone,
    });

    const getBooking = (uid: string, key: string | null = null) => {
      const b = state.bookings.get(uid);
      if (!b || !visible(key, state.eventTypes.get(b.eventTypeId))) throw new HttpFailure(404, `Booking with uid=${uid} not found`);
      return b;
    };

    const newUid = () => randomBytes(16).toString('base64url').slice(0, 22);

    /** Whether `start` is a free slot of `type` for `duration` minutes right now. */
    const isBookable = (type: CalcomEventType, start: number, duration: number, ignoreUid?: string) =>
      freeSlots(state, type, start, start, duration, { ignoreUid }).includes(start);

    // -- event types
    app.get('/v2/event-types', async (request, reply) => {
      const key = guard(request, reply, { auth: true, area: 'eventTypes' });
      return success([...state.eventTypes.values()].filter((t) => visible(key, t)).map(eventTypeOutput));
    });
    app.get<{ Params: { id: string } }>('/v2/event-types/:id', async (request, reply) => {
      const key = guard(request, reply, { auth: true, area: 'eventTypes' });
      const id = Number(request.params.id);
      if (!Number.isInteger(id)) throw new HttpFailure(400, 'id must be an integer');
      return success(eventTypeOutput(findEventType({ eventTypeId: id }, key)));
    });

    // -- slots
    app.get('/v2/slots', async (request, reply) => {
      const key = guard(request, reply, { auth: false, area: 'slots' });
      const q = parseOr400(slotsQuery, request.query);
      const from = parseRangeBound(q.start, 'start');
      const to = parseRangeBound(q.end, 'end');
      if (Number.isNaN(from)) throw new HttpFailure(400, 'start must be a valid ISO 8601 date string');
      if (Number.isNaN(to)) throw new HttpFailure(400, 'end must be a valid ISO 8601 date string');
      if (to < from) throw new HttpFailure(400, 'end must be after start');
      const type = findEventType(q, key);
      const duration = durationFor(type, q.duration);
      const tz = q.timeZone ?? 'UTC';
      const data: Record<string, { start: string; end?: string }[]> = {};
      for (const s of freeSlots(state, type, from, to, duration, { ignoreUid: q.bookingUidToReschedule })) {
        const key = localDate(s, tz);
        const item = q.slotFormat === 'range' ? { start: formatInZone(s, tz), end: formatInZone(s + duration * MINUTE, tz) } : { start: formatInZone(s, tz) };
        (data[key] ??= []).push(item);
      }
      return success(data);
    });

    // -- bookings
    app.post('/v2/bookings', async (request, reply) => {
      const key = guard(request, reply, { auth: false, area: 'bookings' });
      const input = parseOr400(createBookingSchema, request.body);
      const type = findEventType(input, key);
      const duration = durationFor(type, input.lengthInMinutes);
      const start = parseInstant(input.start);
      const scripted = state.createAnswers.shift();
      if (scripted?.kind === 'rate_limited') {
        reply.header('Retry-After', String(scripted.retryAfterSeconds));
        throw new HttpFailure(429, 'ThrottlerException: Too Many Requests');
      }
      if (scripted?.kind === 'existing') return reply.code(201).send(success(getBooking(scripted.uid)));
      const phone = input.attendee.phoneNumber;
      // Cal.com's duplicate check: the same attendee booking the same slot again gets the existing booking back.
      const duplicate = [...state.bookings.values()].find(
        (b) =>
          b.eventTypeId === type.id &&
          b.status === 'accepted' &&
          Date.parse(b.start) === start &&
          b.attendees.some((a) => (input.attendee.email && a.email === input.attendee.email) || (phone && a.phoneNumber === phone)),
      );
      if (duplicate) return reply.code(201).send(success(duplicate));
      if (!isBookable(type, start, duration)) throw new HttpFailure(400, SLOT_UNAVAILABLE_MESSAGE);

      const now = iso(Date.now());
      const uid = newUid();
      // Phone-only attendees get a placeholder address, as Cal.com requires an email on every attendee.
      const email = input.attendee.email ?? `${phone!.replace(/\D/g, '')}@sms.cal.com`;
      const booking: CalcomBooking = {
        id: state.nextBookingId++,
        uid,
        title: `${type.title} between ${hostFor(type).name} and ${input.attendee.name}`,
        description: typeof input.bookingFieldsResponses?.notes === 'string' ? input.bookingFieldsResponses.notes : '',
        hosts: [hostFor(type)],
        status: 'accepted',
        start: iso(start),
        end: iso(start + duration * MINUTE),
        duration,
        eventTypeId: type.id,
        eventType: { id: type.id, slug: type.slug },
        location: 'Praxis',
        absentHost: false,
        createdAt: now,
        updatedAt: now,
        metadata: input.metadata ?? {},
        icsUid: `${uid}@Cal.com`,
        attendees: [
          {
            name: input.attendee.name,
            email,
            displayEmail: email,
            timeZone: input.attendee.timeZone,
            language: input.attendee.language ?? 'en',
            absent: false,
            ...(phone ? { phoneNumber: phone } : {}),
          },
        ],
        guests: input.guests ?? [],
        bookingFieldsResponses: { name: input.attendee.name, email, ...(phone ? { attendeePhoneNumber: phone } : {}), ...input.bookingFieldsResponses },
      };
      state.bookings.set(uid, booking);
      emitWebhook(state, 'BOOKING_CREATED', booking);
      if (scripted?.kind === 'garbled') return reply.code(201).type('application/json').send(JSON.stringify(success(booking)).slice(0, 40));
      if (scripted?.kind === 'hold') await new Promise((r) => setTimeout(r, scripted.ms));
      return reply.code(201).send(success(booking));
    });

    app.get('/v2/bookings', async (request, reply) => {
      const key = guard(request, reply, { auth: true, area: 'bookings' });
      const q = parseOr400(listBookingsQuery, request.query);
      const now = Date.now();
      const typeIds = q.eventTypeIds?.split(',').map(Number) ?? (q.eventTypeId !== undefined ? [q.eventTypeId] : undefined);
      let list = [...state.bookings.values()].filter((b) => {
        if (!visible(key, state.eventTypes.get(b.eventTypeId))) return false;
        if (q.afterUpdatedAt && Date.parse(b.updatedAt) < parseInstant(q.afterUpdatedAt)) return false;
        if (q.beforeUpdatedAt && Date.parse(b.updatedAt) > parseInstant(q.beforeUpdatedAt)) return false;
        const start = Date.parse(b.start);
        const end = Date.parse(b.end);
        if (q.status?.length) {
          const matches = q.status.some((s) =>
            s === 'upcoming' ? b.status === 'accepted' && end >= now
            : s === 'past' ? b.status !== 'cancelled' && end < now
            : s === 'cancelled' ? b.status === 'cancelled' || b.status === 'rejected'
            : s === 'unconfirmed' ? b.status === 'pending'
            : false,
          );
          if (!matches) return false;
        }
        if (q.attendeeEmail && !b.attendees.some((a) => a.email.toLowerCase() === q.attendeeEmail!.toLowerCase())) return false;
        if (q.attendeeName && !b.attendees.some((a) => a.name.toLowerCase().includes(q.attendeeName!.toLowerCase()))) return false;
        if (q.bookingUid && b.uid !== q.bookingUid) return false;
        if (typeIds && !typeIds.includes(b.eventTypeId)) return false;
        if (q.teamId !== undefined && state.eventTypes.get(b.eventTypeId)?.teamId !== q.teamId) return false;
        if (q.afterStart && start < parseInstant(q.afterStart)) return false;
        if (q.beforeEnd && end > parseInstant(q.beforeEnd)) return false;
        return true;
      });
      if (q.sortUpdatedAt) list.sort((a, b) => (q.sortUpdatedAt === 'desc' ? -1 : 1) * (Date.parse(a.updatedAt) - Date.parse(b.updatedAt)) || a.id - b.id);
      else list.sort((a, b) => (q.sortStart === 'desc' ? -1 : 1) * (Date.parse(a.start) - Date.parse(b.start)));
      const total = list.length;
      list = list.slice(q.skip, q.skip + q.take);
      const currentPage = Math.floor(q.skip / q.take) + 1;
      const totalPages = Math.max(1, Math.ceil(total / q.take));
      return success(list, {
        pagination: {
          totalItems: total,
          remainingItems: Math.max(0, total - q.skip - list.length),
          returnedItems: list.length,
          itemsPerPage: q.take,
          currentPage,
          totalPages,
          hasNextPage: q.skip + list.length < total,
          hasPreviousPage: q.skip > 0,
        },
      });
    });

    app.get<{ Params: { uid: string } }>('/v2/bookings/:uid', async (request, reply) => {
      const key = guard(request, reply, { auth: false, area: 'bookings' });
      return success(getBooking(request.params.uid, key));
    });

    app.post<{ Params: { uid: string } }>('/v2/bookings/:uid/cancel', async (request, reply) => {
      const key = guard(request, reply, { auth: true, area: 'bookings' });
      const input = parseOr400(cancelSchema, request.body);
      const booking = getBooking(request.params.uid, key);
      if (booking.status === 'cancelled') throw new HttpFailure(400, 'This booking has already been cancelled.');
      booking.status = 'cancelled';
      booking.cancellationReason = input.cancellationReason;
      booking.updatedAt = iso(Date.now());
      emitWebhook(state, 'BOOKING_CANCELLED', booking, { cancellationReason: input.cancellationReason ?? null, cancelledBy: booking.hosts[0].email });
      return reply.code(200).send(success(booking));
    });

    app.post<{ Params: { uid: string } }>('/v2/bookings/:uid/reschedule', async (request, reply) => {
      const key = guard(request, reply, { auth: false, area: 'bookings' });
      const input = parseOr400(rescheduleSchema, request.body);
      const old = getBooking(request.params.uid, key);
      if (old.status === 'cancelled') throw new HttpFailure(400, `Can't reschedule booking with uid=${old.uid} because it has been cancelled`);
      const type = state.eventTypes.get(old.eventTypeId);
      if (!type) throw new HttpFailure(404, `Event type with id=${old.eventTypeId} not found`);
      const start = parseInstant(input.start);
      // The booking being moved does not block its own new time (e.g. moving by 15 minutes).
      if (!isBookable(type, start, old.duration, old.uid)) throw new HttpFailure(400, SLOT_UNAVAILABLE_MESSAGE);

      const now = iso(Date.now());
      const uid = newUid();
      const next: CalcomBooking = {
        ...structuredClone(old),
        id: state.nextBookingId++,
        uid,
        status: 'accepted',
        start: iso(start),
        end: iso(start + old.duration * MINUTE),
        rescheduledFromUid: old.uid,
        rescheduledToUid: undefined,
        reschedulingReason: input.reschedulingReason,
        rescheduledByEmail: input.rescheduledBy,
        createdAt: now,
        updatedAt: now,
        icsUid: `${uid}@Cal.com`,
      };
      old.status = 'cancelled';
      old.rescheduledToUid = uid;
      old.updatedAt = now;
      state.bookings.set(uid, next);
      emitWebhook(state, 'BOOKING_RESCHEDULED', next, {
        rescheduleUid: old.uid,
        rescheduleId: old.id,
        rescheduleStartTime: old.start,
        rescheduleEndTime: old.end,
        rescheduledBy: input.rescheduledBy ?? null,
      });
      return reply.code(201).send(success(next));
    });

    // -- webhooks (the secret is write-only, as in Cal.com's output DTO)
    const webhookOutput = (w: CalcomWebhook) => ({
      id: w.id,
      subscriberUrl: w.subscriberUrl,
      triggers: w.triggers,
      active: w.active,
      payloadTemplate: w.payloadTemplate,
    });
    app.get('/v2/webhooks', async (request, reply) => {
      const account = accountOf(guard(request, reply, { auth: true }));
      return success(state.webhooks.filter((w) => !w.fromEnv && w.account === account).map(webhookOutput));
    });
    app.post('/v2/webhooks', async (request, reply) => {
      const account = accountOf(guard(request, reply, { auth: true })) ?? DEFAULT_ACCOUNT;
      const input = parseOr400(webhookSchema, request.body);
      const hook: CalcomWebhook = {
        id: String(1000 + state.nextWebhookId++),
        subscriberUrl: input.subscriberUrl,
        triggers: input.triggers,
        active: input.active,
        payloadTemplate: input.payloadTemplate ?? null,
        secret: input.secret ?? null,
        fromEnv: false,
        account,
      };
      state.webhooks.push(hook);
      return reply.code(201).send(success(webhookOutput(hook)));
    });
    app.delete<{ Params: { id: string } }>('/v2/webhooks/:id', async (request, reply) => {
      const account = accountOf(guard(request, reply, { auth: true }));
      const hook = state.webhooks.find((w) => w.id === request.params.id && !w.fromEnv && w.account === account);
      if (!hook) throw new HttpFailure(404, `Webhook with id=${request.params.id} not found`);
      state.webhooks = state.webhooks.filter((w) => w !== hook);
      return success(webhookOutput(hook));
    });

    // -- simulator controls (under /__sim: neither faulted nor logged)
    app.post(`${CONTROL_PREFIX}/calcom/seed`, async (request, reply) => {
      const parsed = seedSchema.safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: validationMessage(parsed.error) });
      try {
        return { eventTypes: state.seed(parsed.data).map(eventTypeOutput) };
      } catch (error) {
        return reply.code(400).send({ error: (error as Error).message });
      }
    });
    app.get(`${CONTROL_PREFIX}/calcom/bookings`, async () => ({ bookings: [...state.bookings.values()] }));
    app.post(`${CONTROL_PREFIX}/calcom/drop-webhooks`, async (request, reply) => {
      const parsed = z.object({ count: z.number().int().min(0).max(10_000) }).safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: validationMessage(parsed.error) });
      state.dropWebhooks = parsed.data.count;
      return { dropWebhooks: state.dropWebhooks };
    });
    /** Many accepted bookings at once (benches): no slot checks, no webhooks; `metadata` is copied onto each. */
    app.post(`${CONTROL_PREFIX}/calcom/bulk-bookings`, async (request, reply) => {
      const parsed = z
        .object({ eventTypeId: z.number().int(), count: z.number().int().min(1).max(100_000), firstStart: isoInstant, everyMinutes: z.number().int().min(1), metadata: z.record(z.string(), z.string()).optional() })
        .safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: validationMessage(parsed.error) });
      const type = state.eventTypes.get(parsed.data.eventTypeId);
      if (!type) return reply.code(404).send({ error: 'event type not found' });
      const first = parseInstant(parsed.data.firstStart);
      const now = iso(Date.now());
      for (let i = 0; i < parsed.data.count; i++) {
        const start = first + i * parsed.data.everyMinutes * MINUTE;
        const uid = newUid();
        const email = `bulk${i}@example.com`;
        state.bookings.set(uid, {
          id: state.nextBookingId++, uid, title: type.title, description: '', hosts: [hostFor(type)], status: 'accepted',
          start: iso(start), end: iso(start + type.lengthInMinutes * MINUTE), duration: type.lengthInMinutes, eventTypeId: type.id,
          eventType: { id: type.id, slug: type.slug }, location: 'Praxis', absentHost: false, createdAt: now, updatedAt: now,
          metadata: { ...parsed.data.metadata }, icsUid: `${uid}@Cal.com`,
          attendees: [{ name: `Bulk ${i}`, email, displayEmail: email, timeZone: type.timeZone, language: 'de', absent: false }],
          guests: [], bookingFieldsResponses: {},
        });
      }
      return { created: parsed.data.count };
    });
    app.post(`${CONTROL_PREFIX}/calcom/create-answers`, async (request, reply) => {
      const parsed = z.object({ answers: z.array(createAnswerSchema).max(100) }).safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: validationMessage(parsed.error) });
      state.createAnswers.push(...parsed.data.answers);
      return { queued: state.createAnswers.length };
    });
    app.get(`${CONTROL_PREFIX}/calcom/webhook-deliveries`, async () => {
      await state.flushWebhooks();
      return { deliveries: state.deliveries };
    });
  },
};
