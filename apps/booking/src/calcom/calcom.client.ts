import { Injectable, OnModuleDestroy } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  IPolicy,
  RetryPolicy,
  circuitBreaker,
  halfJitterGenerator,
  handleWhen,
  retry,
  wrap,
} from 'cockatiel';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { CalcomApiError, CalcomUnavailableError } from './calcom.errors';
import { calcomBreakerState, calcomErrors, calcomRequestDuration } from './calcom.metrics';
import {
  CalcomBooking,
  CalcomEventType,
  CalcomSlots,
  bookingListSchema,
  bookingSchema,
  calcomErrorBody,
  envelope,
  eventTypeSchema,
  slotsSchema,
} from './calcom.schemas';

/** `cal-api-version` per endpoint family (domain.md §2.1). Slots and event types are fixed by the shapes we parse. */
export const CALCOM_SLOTS_API_VERSION = '2024-09-04';
export const CALCOM_EVENT_TYPES_API_VERSION = '2024-06-14';

export interface CalcomClientOptions {
  /** e.g. http://127.0.0.1:4010 or https://api.cal.com (a trailing /v2 is tolerated). */
  baseUrl: string;
  apiKey?: string;
  /** Scopes slug-based lookups (slots, create) to this team. */
  teamSlug?: string;
  /** Bookings endpoints; CALCOM_API_VERSION. */
  bookingsApiVersion: string;
  connectTimeoutMs: number;
  /** Whole request (headers and body) per attempt. */
  requestTimeoutMs: number;
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** GETs only: total attempts (1 = no retry) and the first backoff delay. */
  retry: { maxAttempts: number; baseDelayMs: number };
  logger?: Logger;
  /** Whether this client's breaker is the one `booking_calcom_breaker_state` shows (the platform account's). */
  reportsBreaker?: boolean;
}

export const DEFAULT_CALCOM_OPTIONS: Omit<CalcomClientOptions, 'baseUrl'> = {
  bookingsApiVersion: '2024-08-13',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
  retry: { maxAttempts: 3, baseDelayMs: 100 },
};

/** Per-call options: a caller with a deadline (a live phone call) can cut the wait short. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Which event type: by id, or by slug within CALCOM_TEAM_SLUG. */
export type EventTypeRef = { eventTypeId: number } | { eventTypeSlug: string };

export interface SlotsQuery {
  /** UTC ISO instants or dates (date-only = whole UTC day). */
  start: string;
  end: string;
  /** Zone in which slot starts (and the date keys) are returned; default UTC. */
  timeZone?: string;
  duration?: number;
}

export interface CreateBookingInput {
  /** UTC ISO instant. */
  start: string;
  attendee: { name: string; timeZone: string; email?: string; phoneNumber?: string; language?: string };
  lengthInMinutes?: number;
  metadata?: Record<string, string>;
  bookingFieldsResponses?: Record<string, unknown>;
  guests?: string[];
}

export interface ListBookingsQuery {
  status?: ('upcoming' | 'recurring' | 'past' | 'cancelled' | 'unconfirmed')[];
  attendeeEmail?: string;
  attendeeName?: string;
  eventTypeIds?: number[];
  afterStart?: string;
  beforeEnd?: string;
  /** Changed at or after (reconciliation's cursor). */
  afterUpdatedAt?: string;
  sortStart?: 'asc' | 'desc';
  sortUpdatedAt?: 'asc' | 'desc';
  take?: number;
  skip?: number;
}

export type BreakerStateName = 'closed' | 'half-open' | 'open';
const GAUGE_VALUE: Record<BreakerStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

type Method = 'GET' | 'POST' | 'DELETE';

interface CallSpec<T> {
  operation: string;
  method: Method;
  path: string;
  version?: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  schema: z.ZodType<T>;
  signal?: AbortSignal;
}

/**
 * The one Cal.com API v2 client of the booking service.
 *
 * Every call goes through one circuit breaker (opens after N consecutive outages — timeouts, network errors, 5xx —
 * and lets a probe through after halfOpenAfter). GETs additionally retry transient failures with a short
 * exponential backoff *inside* the breaker, so one logical read counts once; POSTs are never retried, since a
 * create whose response was lost may well have booked (the caller reconciles instead).
 * Connections are pooled with keep-alive (HTTP/2 when the server negotiates it over TLS).
 */
@Injectable()
export class CalcomClient implements OnModuleDestroy {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly readPolicy: IPolicy;
  private readonly writePolicy: IPolicy;

  constructor(private readonly options: CalcomClientOptions) {
    this.origin = options.baseUrl.replace(/\/+$/, '').replace(/\/v2$/, '');
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      allowH2: true,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      // Backstops; the per-attempt AbortSignal enforces the overall request timeout.
      headersTimeout: options.requestTimeoutMs,
      bodyTimeout: options.requestTimeoutMs,
    });

    this.breaker = circuitBreaker(
      handleWhen((e) => e instanceof CalcomUnavailableError && e.countsAsOutage),
      { halfOpenAfter: options.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breaker.consecutiveFailures) },
    );
    const reports = options.reportsBreaker ?? true;
    this.breaker.onStateChange((state) => {
      const name = this.stateName(state);
      if (reports) calcomBreakerState().set(GAUGE_VALUE[name]);
      options.logger?.[name === 'closed' ? 'info' : 'warn']({ breaker: 'calcom', state: name }, `Cal.com circuit breaker ${name}`);
    });
    if (reports) calcomBreakerState().set(0);

    const retries: RetryPolicy = retry(
      handleWhen((e) => e instanceof CalcomUnavailableError && e.retryable),
      {
        maxAttempts: Math.max(0, options.retry.maxAttempts - 1),
        // Half jitter: spread retries of many callers, but never retry sooner than half the base delay.
        backoff: new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: options.retry.baseDelayMs, maxDelay: options.retry.baseDelayMs * 8 }),
      },
    );
    this.readPolicy = wrap(this.breaker, retries);
    this.writePolicy = this.breaker;
  }

  // ---- operations -------------------------------------------------------------------------------------------

  listEventTypes(opts: CallOptions = {}): Promise<CalcomEventType[]> {
    return this.call({
      operation: 'listEventTypes',
      method: 'GET',
      path: '/v2/event-types',
      version: CALCOM_EVENT_TYPES_API_VERSION,
      schema: envelope(z.array(eventTypeSchema)).transform((r) => r.data),
      ...opts,
    }).then((types) => {
      const team = this.options.teamSlug;
      // Scoped to our team where Cal.com tells us the team; personal event types carry no team and are kept.
      return team ? types.filter((t) => !t.team?.slug || t.team.slug === team) : types;
    });
  }

  getEventType(id: number, opts: CallOptions = {}): Promise<CalcomEventType> {
    return this.call({
      operation: 'getEventType',
      method: 'GET',
      path: `/v2/event-types/${encodeURIComponent(String(id))}`,
      version: CALCOM_EVENT_TYPES_API_VERSION,
      schema: envelope(eventTypeSchema).transform((r) => r.data),
      ...opts,
    });
  }

  /** Free slots keyed by local date in `timeZone`. */
  getSlots(ref: EventTypeRef, query: SlotsQuery, opts: CallOptions = {}): Promise<CalcomSlots> {
    return this.call({
      operation: 'getSlots',
      method: 'GET',
      path: '/v2/slots',
      version: CALCOM_SLOTS_API_VERSION,
      query: { ...this.eventTypeParams(ref, 'getSlots'), start: query.start, end: query.end, timeZone: query.timeZone, duration: query.duration },
      schema: envelope(slotsSchema).transform((r) => r.data),
      ...opts,
    });
  }

  /**
   * A 429 means Cal.com did not process the create, so it is sent again after `Retry-After` (1 s when absent) as
   * long as that still ends before `retryUntil` (epoch ms, the caller's deadline); anything else is not retried here
   * (a create whose answer was lost may well have booked: the caller looks for it instead).
   */
  async createBooking(ref: EventTypeRef, input: CreateBookingInput, opts: CallOptions & { retryUntil?: number } = {}): Promise<CalcomBooking> {
    const { retryUntil, ...callOpts } = opts;
    for (;;) {
      try {
        return await this.call({
          operation: 'createBooking',
          method: 'POST',
          path: '/v2/bookings',
          version: this.options.bookingsApiVersion,
          body: { ...this.eventTypeParams(ref, 'createBooking'), ...input },
          schema: envelope(bookingSchema).transform((r) => r.data),
          ...callOpts,
        });
      } catch (error) {
        if (!(error instanceof CalcomUnavailableError && error.reason === 'rate_limited') || retryUntil === undefined) throw error;
        const waitMs = Math.max(0, (error.retryAfterSeconds ?? 1) * 1000);
        if (Date.now() + waitMs >= retryUntil || callOpts.signal?.aborted) throw error;
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  getBooking(uid: string, opts: CallOptions = {}): Promise<CalcomBooking> {
    return this.call({
      operation: 'getBooking',
      method: 'GET',
      path: `/v2/bookings/${encodeURIComponent(uid)}`,
      version: this.options.bookingsApiVersion,
      schema: envelope(bookingSchema).transform((r) => r.data),
      ...opts,
    });
  }

  listBookings(query: ListBookingsQuery = {}, opts: CallOptions = {}): Promise<{ bookings: CalcomBooking[]; hasNextPage: boolean }> {
    return this.call({
      operation: 'listBookings',
      method: 'GET',
      path: '/v2/bookings',
      version: this.options.bookingsApiVersion,
      query: {
        status: query.status?.join(','),
        attendeeEmail: query.attendeeEmail,
        attendeeName: query.attendeeName,
        eventTypeIds: query.eventTypeIds?.join(','),
        afterStart: query.afterStart,
        beforeEnd: query.beforeEnd,
        afterUpdatedAt: query.afterUpdatedAt,
        sortStart: query.sortStart,
        sortUpdatedAt: query.sortUpdatedAt,
        take: query.take,
        skip: query.skip,
      },
      schema: bookingListSchema.transform((r) => ({ bookings: r.data, hasNextPage: r.pagination?.hasNextPage ?? false })),
      ...opts,
    });
  }

  cancelBooking(uid: string, input: { cancellationReason?: string } = {}, opts: CallOptions = {}): Promise<CalcomBooking> {
    return this.call({
      operation: 'cancelBooking',
      method: 'POST',
      path: `/v2/bookings/${encodeURIComponent(uid)}/cancel`,
      version: this.options.bookingsApiVersion,
      body: input,
      schema: envelope(bookingSchema).transform((r) => r.data),
      ...opts,
    });
  }

  /** Returns the new booking (new uid, `rescheduledFromUid` = `uid`). */
  rescheduleBooking(
    uid: string,
    input: { start: string; rescheduledBy?: string; reschedulingReason?: string },
    opts: CallOptions = {},
  ): Promise<CalcomBooking> {
    return this.call({
      operation: 'rescheduleBooking',
      method: 'POST',
      path: `/v2/bookings/${encodeURIComponent(uid)}/reschedule`,
      version: this.options.bookingsApiVersion,
      body: input,
      schema: envelope(bookingSchema).transform((r) => r.data),
      ...opts,
    });
  }

  /** A webhook subscription on this account (`POST /v2/webhooks`); the secret is write-only in Cal.com. */
  createWebhook(input: { subscriberUrl: string; triggers: string[]; secret: string; active?: boolean }, opts: CallOptions = {}): Promise<{ id: string }> {
    return this.call({
      operation: 'createWebhook',
      method: 'POST',
      path: '/v2/webhooks',
      body: { active: true, ...input },
      schema: envelope(z.object({ id: z.union([z.string(), z.number()]).transform(String) })).transform((r) => r.data),
      ...opts,
    });
  }

  listWebhooks(opts: CallOptions = {}): Promise<{ id: string; subscriberUrl: string }[]> {
    return this.call({
      operation: 'listWebhooks',
      method: 'GET',
      path: '/v2/webhooks',
      schema: envelope(z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String), subscriberUrl: z.string() }))).transform((r) => r.data),
      ...opts,
    });
  }

  deleteWebhook(id: string, opts: CallOptions = {}): Promise<unknown> {
    return this.call({ operation: 'deleteWebhook', method: 'DELETE', path: `/v2/webhooks/${encodeURIComponent(id)}`, schema: z.unknown(), ...opts });
  }

  // ---- breaker ----------------------------------------------------------------------------------------------

  /** Closed, half-open or open, for health checks and tests. */
  get breakerState(): BreakerStateName {
    return this.stateName(this.breaker.state);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  // ---- internals --------------------------------------------------------------------------------------------

  private stateName(state: CircuitState): BreakerStateName {
    if (state === CircuitState.Closed) return 'closed';
    if (state === CircuitState.HalfOpen) return 'half-open';
    return 'open';
  }

  private eventTypeParams(ref: EventTypeRef, operation: string): { eventTypeId: number } | { eventTypeSlug: string; teamSlug: string } {
    if ('eventTypeId' in ref) return { eventTypeId: ref.eventTypeId };
    if (!this.options.teamSlug) {
      throw new CalcomUnavailableError(operation, 'not_configured', 'CALCOM_TEAM_SLUG is required to address event types by slug');
    }
    return { eventTypeSlug: ref.eventTypeSlug, teamSlug: this.options.teamSlug };
  }

  private async call<T>(spec: CallSpec<T>): Promise<T> {
    const policy = spec.method === 'GET' ? this.readPolicy : this.writePolicy;
    try {
      return await policy.execute(({ signal }) => this.attempt(spec, signal));
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        calcomErrors().inc({ operation: spec.operation, reason: 'circuit_open' });
        throw new CalcomUnavailableError(spec.operation, 'circuit_open', 'Cal.com circuit breaker is open', { cause: error });
      }
      throw error;
    }
  }

  /** One HTTP exchange: classifies every outcome into a value, CalcomApiError or CalcomUnavailableError. */
  private async attempt<T>(spec: CallSpec<T>, policySignal: AbortSignal): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const signals = [timeout, policySignal, ...(spec.signal ? [spec.signal] : [])];
    const started = process.hrtime.bigint();
    const observe = (status: string) =>
      calcomRequestDuration().observe({ operation: spec.operation, status }, Number(process.hrtime.bigint() - started) / 1e9);
    const fail = (error: CalcomUnavailableError | CalcomApiError, status: string) => {
      observe(status);
      calcomErrors().inc({ operation: spec.operation, reason: error instanceof CalcomApiError ? 'client_error' : error.reason });
      return error;
    };

    const url = new URL(spec.path, this.origin);
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (spec.version) headers['cal-api-version'] = spec.version;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';

    let statusCode: number;
    let text: string;
    let retryAfter: string | undefined;
    try {
      const res = await request(url, {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        dispatcher: this.agent,
        signal: AbortSignal.any(signals),
      });
      statusCode = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      text = await res.body.text();
    } catch (error) {
      // The caller's own deadline is not Cal.com's fault: it must not feed the breaker.
      if (!timeout.aborted && (spec.signal?.aborted || policySignal.aborted)) {
        throw fail(new CalcomUnavailableError(spec.operation, 'aborted', `Cal.com ${spec.operation} aborted by caller`, { cause: error }), 'aborted');
      }
      if (timeout.aborted || isUndiciTimeout(error)) {
        throw fail(new CalcomUnavailableError(spec.operation, 'timeout', `Cal.com ${spec.operation} timed out`, { cause: error }), 'timeout');
      }
      throw fail(
        new CalcomUnavailableError(spec.operation, 'network', `Cal.com ${spec.operation} failed: ${(error as Error).message}`, { cause: error }),
        'network',
      );
    }

    const status = String(statusCode);
    const json = parseJson(text);
    if (statusCode >= 500) {
      throw fail(new CalcomUnavailableError(spec.operation, 'server_error', `Cal.com ${spec.operation} answered ${statusCode}`, { statusCode }), status);
    }
    if (statusCode === 429) {
      const seconds = retryAfter !== undefined ? Number(retryAfter) : undefined;
      throw fail(
        new CalcomUnavailableError(spec.operation, 'rate_limited', `Cal.com ${spec.operation} rate limited`, {
          statusCode,
          retryAfterSeconds: Number.isFinite(seconds) ? seconds : undefined,
        }),
        status,
      );
    }
    if (statusCode >= 400) {
      const body = calcomErrorBody.safeParse(json);
      const message = body.success ? [body.data.error?.message ?? ''].flat().join('; ') : text.slice(0, 200);
      const code = (body.success && body.data.error?.code) || 'HttpException';
      throw fail(new CalcomApiError(spec.operation, statusCode, code, message || `HTTP ${statusCode}`), status);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      this.options.logger?.error({ operation: spec.operation, issues: parsed.error.issues.slice(0, 5) }, 'unexpected Cal.com response');
      throw fail(
        new CalcomUnavailableError(spec.operation, 'invalid_response', `Cal.com ${spec.operation} returned an unexpected body`, { statusCode }),
        status,
      );
    }
    observe(status);
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function isUndiciTimeout(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || (error as Error)?.name === 'TimeoutError';
}
