import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { SecretBox } from '@receptionist/config';
import { getOrCreateMetric, registry } from '@receptionist/observability';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { DataSource } from 'typeorm';
import type { BookingEnv } from '../config';
import { CallOptions, CalcomClient, CreateBookingInput, EventTypeRef, ListBookingsQuery, SlotsQuery } from './calcom.client';
import { CalcomApiError, CalcomUnavailableError } from './calcom.errors';
import { calcomOptionsFromEnv } from './calcom.options';
import { CalcomBooking, CalcomEventType, CalcomSlots } from './calcom.schemas';
import { CalendarConnectionEntity } from './calendar-connection.entity';

/**
 * The port booking talks through: "the company's calendar". Shapes are Cal.com's (the first provider); another
 * provider's adapter maps into them. Errors are CalcomApiError (the calendar said no) and CalcomUnavailableError
 * (it could not answer), whatever the provider, so locks, policies, replies and events never depend on it.
 */
export interface CalendarProvider {
  listEventTypes(opts?: CallOptions): Promise<CalcomEventType[]>;
  getSlots(ref: EventTypeRef, query: SlotsQuery, opts?: CallOptions): Promise<CalcomSlots>;
  createBooking(ref: EventTypeRef, input: CreateBookingInput, opts?: CallOptions & { retryUntil?: number }): Promise<CalcomBooking>;
  getBooking(uid: string, opts?: CallOptions): Promise<CalcomBooking>;
  listBookings(query?: ListBookingsQuery, opts?: CallOptions): Promise<{ bookings: CalcomBooking[]; hasNextPage: boolean }>;
  cancelBooking(uid: string, input?: { cancellationReason?: string }, opts?: CallOptions): Promise<CalcomBooking>;
  rescheduleBooking(uid: string, input: { start: string; rescheduledBy?: string; reschedulingReason?: string }, opts?: CallOptions): Promise<CalcomBooking>;
}

export const calendarConnectionErrors = () =>
  getOrCreateMetric('booking_calendar_connection_errors_total', () =>
    new Counter({ name: 'booking_calendar_connection_errors_total', help: "Calls to a company's own calendar refused for its credentials or failing, by provider and reason", labelNames: ['provider', 'reason'], registers: [registry] }),
  );

type Ops = keyof CalendarProvider;
const OPS: Ops[] = ['listEventTypes', 'getSlots', 'createBooking', 'getBooking', 'listBookings', 'cancelBooking', 'rescheduleBooking'];

/** Health is written at most this often while nothing changes (a busy calendar must not write a row per call). */
const HEALTH_WRITE_MS = 30_000;

/**
 * Resolves "the company's calendar": its own connection (Cal.com with its key and team) or the platform's
 * Cal.com account. Each own account gets its own client (own breaker and pool: one company's outage or wrong key never
 * opens another's breaker). Every call's outcome updates the connection's health (last success, last error).
 */
@Injectable()
export class CalendarProviders implements OnModuleDestroy {
  private readonly box: SecretBox | null;
  private readonly clients = new Map<string, CalcomClient>();
  private readonly rows = new Map<string, { at: number; row: Promise<CalendarConnectionEntity | null> }>();
  private readonly lastWrite = new Map<string, { at: number; ok: boolean }>();

  constructor(
    readonly platform: CalcomClient,
    private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.box = config.CALENDAR_SECRETS_KEY ? new SecretBox(config.CALENDAR_SECRETS_KEY, 'CALENDAR_SECRETS_KEY') : null;
  }

  get secrets(): SecretBox | null {
    return this.box;
  }

  /** The company's calendar; the connection is looked up (and cached briefly) on each call, so a change applies at once. */
  of(companyId: string): CalendarProvider {
    const facade = {} as CalendarProvider;
    for (const op of OPS) {
      (facade as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
        const { provider, row } = await this.resolve(companyId);
        const fn = provider[op] as (...a: unknown[]) => Promise<unknown>;
        try {
          const result = await fn.apply(provider, args);
          if (row) await this.noteHealth(row, null);
          return result;
        } catch (error) {
          if (row) await this.noteHealth(row, error);
          throw error;
        }
      };
    }
    return facade;
  }

  /** Forget a company's cached connection (after a change). */
  forget(companyId: string): void {
    this.rows.delete(companyId);
    this.lastWrite.delete(companyId);
  }

  async resolve(companyId: string): Promise<{ provider: CalendarProvider; row: CalendarConnectionEntity | null }> {
    const row = await this.row(companyId);
    if (!row) return { provider: this.platform, row: null };
    if (!this.box) throw new CalcomUnavailableError('connection', 'not_configured', 'CALENDAR_SECRETS_KEY is not set: own calendar credentials cannot be read');
    const credentials = JSON.parse(this.box.open(row.credentialsSealed)) as Record<string, string>;
    if (row.provider !== 'calcom') throw new CalcomUnavailableError('connection', 'not_configured', `no ${row.provider} adapter in this version`);
    return { provider: this.calcomClient(credentials.apiKey, row.teamSlug), row };
  }

  /** A client for one Cal.com account (cached by key, so a company's breaker and pool outlive single calls). */
  calcomClient(apiKey: string, teamSlug: string | null): CalcomClient {
    const id = createHash('sha256').update(`${apiKey}\n${teamSlug ?? ''}`).digest('hex');
    let client = this.clients.get(id);
    if (!client) {
      client = new CalcomClient({ ...calcomOptionsFromEnv(this.config, this.logger), apiKey, teamSlug: teamSlug ?? undefined, reportsBreaker: false });
      this.clients.set(id, client);
    }
    return client;
  }

  private row(companyId: string): Promise<CalendarConnectionEntity | null> {
    const cached = this.rows.get(companyId);
    if (cached && Date.now() - cached.at < this.config.CALENDAR_CONNECTION_CACHE_MS) return cached.row;
    const row = this.dataSource.getRepository(CalendarConnectionEntity).findOneBy({ companyId });
    this.rows.set(companyId, { at: Date.now(), row });
    row.catch(() => this.rows.delete(companyId));
    return row;
  }

  /**
   * Health from real calls: a refusal for the credentials (401/403) or an outage is the connection's last error; any
   * answer (even "slot taken") is a success. Written when the state flips, else at most every HEALTH_WRITE_MS.
   */
  private async noteHealth(row: CalendarConnectionEntity, error: unknown): Promise<void> {
    let message: string | null = null;
    if (error instanceof CalcomApiError && (error.statusCode === 401 || error.statusCode === 403)) message = `${row.provider} refused the credentials (${error.statusCode}): ${error.message}`;
    else if (error instanceof CalcomUnavailableError && error.reason !== 'aborted') message = `${row.provider} ${error.operation}: ${error.reason}`;
    else if (error) return;
    const ok = message === null;
    const last = this.lastWrite.get(row.companyId);
    if (!ok) calendarConnectionErrors().inc({ provider: row.provider, reason: error instanceof CalcomApiError ? 'credentials' : (error as CalcomUnavailableError).reason });
    if (last && last.ok === ok && Date.now() - last.at < HEALTH_WRITE_MS) return;
    this.lastWrite.set(row.companyId, { at: Date.now(), ok });
    const now = new Date();
    await this.dataSource
      .getRepository(CalendarConnectionEntity)
      .update({ companyId: row.companyId }, ok ? { lastSuccessAt: now } : { lastErrorAt: now, lastError: message!.slice(0, 500) })
      .catch((e) => this.logger.warn({ err: e, companyId: row.companyId }, 'calendar connection health not recorded'));
    if (!ok) this.logger.warn({ companyId: row.companyId, provider: row.provider, reason: message }, "company's calendar failed");
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}
