import { registry } from '@receptionist/observability';
import { waitFor } from '@receptionist/testing';
// The simulator runs in-process on port 0 (brief of issue 4); no library exposes it yet, hence the direct imports.
import { calcomSimulator, CalcomState, DEFAULT_TEAM_SLUG } from '@receptionist/simulators';
import { RunningSimulator, startSimulator } from '@receptionist/simulators';
import {
  CalcomApiError,
  CalcomClient,
  CalcomClientOptions,
  CalcomUnavailableError,
  DEFAULT_CALCOM_OPTIONS,
} from '../src/calcom';

let sim: RunningSimulator<CalcomState>;
const clients: CalcomClient[] = [];

/** Short timeouts and half-open delay so the resilience paths run in well under a second each. */
function makeClient(overrides: Partial<CalcomClientOptions> = {}): CalcomClient {
  const client = new CalcomClient({
    ...DEFAULT_CALCOM_OPTIONS,
    baseUrl: sim.url,
    apiKey: 'cal_test_booking',
    teamSlug: DEFAULT_TEAM_SLUG,
    requestTimeoutMs: 2_000,
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 400 },
    retry: { maxAttempts: 3, baseDelayMs: 10 },
    ...overrides,
  });
  clients.push(client);
  return client;
}

/** A Monday two weeks ahead (UTC date), so the default seed's weekday hours apply and nothing is in the past. */
function futureMonday(): string {
  const d = new Date(Date.now() + 14 * 86_400_000);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
}
const attendee = { name: 'Erika Mustermann', timeZone: 'Europe/Berlin', phoneNumber: '+4915112345678', language: 'de' };

async function gauge(name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  return metric ? (await metric.get()).values[0]?.value : undefined;
}

beforeAll(async () => {
  sim = await startSimulator(calcomSimulator, { port: 0 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim.close();
});
beforeEach(() => sim.reset());

describe('CalcomClient against the Cal.com simulator', () => {
  it('reads slots team-scoped with the slots version, books, reads, lists, reschedules and cancels with the bookings version', async () => {
    const client = makeClient();
    const day = futureMonday();

    const slots = await client.getSlots({ eventTypeSlug: 'beratung' }, { start: day, end: day, timeZone: 'Europe/Berlin' });
    const starts = slots[day].map((s) => s.start);
    expect(starts[0]).toMatch(new RegExp(`^${day}T09:00:00\\.000\\+0[12]:00$`)); // Berlin, CET or CEST
    const first = new Date(starts[0]).toISOString();

    const booking = await client.createBooking({ eventTypeSlug: 'beratung' }, { start: first, attendee, metadata: { callId: 'call_1' } });
    expect(booking).toMatchObject({ status: 'accepted', start: first, duration: 30, eventType: { slug: 'beratung' } });
    expect(booking.attendees[0]).toMatchObject({ name: attendee.name, phoneNumber: attendee.phoneNumber });

    expect((await client.getBooking(booking.uid)).uid).toBe(booking.uid);
    const after = await client.getSlots({ eventTypeId: booking.eventType!.id }, { start: day, end: day, timeZone: 'Europe/Berlin' });
    expect(after[day].map((s) => s.start)).not.toContain(starts[0]);

    const listed = await client.listBookings({ status: ['upcoming'], eventTypeIds: [booking.eventType!.id] });
    expect(listed.bookings.map((b) => b.uid)).toEqual([booking.uid]);

    const moved = await client.rescheduleBooking(booking.uid, { start: new Date(starts[2]).toISOString(), reschedulingReason: 'caller asked' });
    expect(moved.uid).not.toBe(booking.uid);
    expect(moved.rescheduledFromUid).toBe(booking.uid);
    expect((await client.getBooking(booking.uid)).status).toBe('cancelled');

    const cancelled = await client.cancelBooking(moved.uid, { cancellationReason: 'no longer needed' });
    expect(cancelled).toMatchObject({ uid: moved.uid, status: 'cancelled', cancellationReason: 'no longer needed' });

    const log = sim.requests();
    const versionOf = (method: string, path: RegExp) =>
      log.filter((r) => r.method === method && path.test(r.path)).map((r) => r.headers['cal-api-version']);
    expect(new Set(versionOf('GET', /^\/v2\/slots$/))).toEqual(new Set(['2024-09-04']));
    expect(new Set(versionOf('POST', /^\/v2\/bookings/))).toEqual(new Set(['2024-08-13']));
    expect(new Set(versionOf('GET', /^\/v2\/bookings/))).toEqual(new Set(['2024-08-13']));
    expect(log[0].query).toMatchObject({ eventTypeSlug: 'beratung', teamSlug: DEFAULT_TEAM_SLUG, timeZone: 'Europe/Berlin' });
    expect(log.every((r) => r.headers.authorization === 'Bearer [redacted]')).toBe(true);
  });

  it('sends CALCOM_API_VERSION on bookings endpoints', async () => {
    const client = makeClient({ bookingsApiVersion: '2026-02-25' });
    const day = futureMonday();
    await client.createBooking({ eventTypeId: 1003 }, { start: `${day}T07:00:00.000Z`, attendee });
    expect(sim.requests().at(-1)?.headers['cal-api-version']).toBe('2026-02-25');
  });

  it('reports a taken slot and validation errors as CalcomApiError, without touching the breaker', async () => {
    const client = makeClient();
    const start = `${futureMonday()}T08:00:00.000Z`;
    await client.createBooking({ eventTypeId: 1001 }, { start, attendee });
    const taken = await client
      .createBooking({ eventTypeId: 1001 }, { start, attendee: { ...attendee, phoneNumber: '+4915199999999' } })
      .catch((e: unknown) => e);
    expect(taken).toBeInstanceOf(CalcomApiError);
    expect((taken as CalcomApiError).isSlotUnavailable).toBe(true);

    const invalid = await client.createBooking({ eventTypeId: 1001 }, { start, attendee: { ...attendee, name: '' } }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ statusCode: 400, code: 'BadRequestException', message: expect.stringContaining('attendee.name') });
    const missing = await client.getBooking('does-not-exist').catch((e: unknown) => e);
    expect((missing as CalcomApiError).isNotFound).toBe(true);
    expect(client.breakerState).toBe('closed');
  });

  it('opens the breaker after 5 consecutive outages, rejects fast while open, half-opens and closes once Cal.com is back', async () => {
    const client = makeClient();
    const day = futureMonday();
    sim.setFault({ mode: 'down' });

    for (let i = 1; i <= 5; i++) {
      const error = await client.getSlots({ eventTypeId: 1001 }, { start: day, end: day }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'CalcomUnavailableError', reason: 'server_error', statusCode: 503 });
      // Retries happen inside the breaker: one failed read (3 attempts) counts once.
      expect(client.breakerState).toBe(i < 5 ? 'closed' : 'open');
    }
    expect(sim.requests()).toHaveLength(15);
    expect(await gauge('calcom_circuit_breaker_state')).toBe(2);

    const t0 = Date.now();
    const rejected = await client.getSlots({ eventTypeId: 1001 }, { start: day, end: day }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CalcomUnavailableError);
    expect((rejected as CalcomUnavailableError).reason).toBe('circuit_open');
    expect(Date.now() - t0).toBeLessThan(100);
    expect(sim.requests()).toHaveLength(15); // never reached Cal.com

    sim.setFault({ mode: 'normal' });
    await new Promise((r) => setTimeout(r, 450)); // > halfOpenAfter
    const slots = await client.getSlots({ eventTypeId: 1001 }, { start: day, end: day });
    expect(Object.keys(slots)).toEqual([day]);
    expect(client.breakerState).toBe('closed');
    expect(await gauge('calcom_circuit_breaker_state')).toBe(0);
  });

  it('a failed probe in half-open opens the breaker again', async () => {
    const client = makeClient({ breaker: { consecutiveFailures: 1, halfOpenAfterMs: 200 } });
    sim.setFault({ mode: 'down' });
    await expect(client.getBooking('x')).rejects.toMatchObject({ reason: 'server_error' });
    expect(client.breakerState).toBe('open');
    await new Promise((r) => setTimeout(r, 250));
    await expect(client.getBooking('x')).rejects.toMatchObject({ reason: 'server_error' });
    expect(client.breakerState).toBe('open');
  });

  it('retries a GET on a transient 503', async () => {
    const client = makeClient({ retry: { maxAttempts: 3, baseDelayMs: 200 } });
    sim.setFault({ mode: 'down' });
    const pending = client.getSlots({ eventTypeId: 1001 }, { start: futureMonday(), end: futureMonday() });
    // Cal.com recovers right after the first attempt failed; the retry (≥ 100 ms later with half jitter) succeeds.
    await waitFor(() => sim.requests().length >= 1, { intervalMs: 2, message: 'first attempt' });
    sim.setFault({ mode: 'normal' });
    await expect(pending).resolves.toBeDefined();
    expect(sim.requests().map((r) => r.statusCode)).toEqual([503, 200]);
    expect(client.breakerState).toBe('closed');
  });

  it('never retries a POST', async () => {
    const client = makeClient();
    sim.setFault({ mode: 'down' });
    const error = await client.createBooking({ eventTypeId: 1001 }, { start: `${futureMonday()}T08:00:00.000Z`, attendee }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'CalcomUnavailableError', reason: 'server_error' });
    expect(sim.requests().map((r) => [r.method, r.statusCode])).toEqual([['POST', 503]]);
  });

  it('times out on a slow Cal.com (request timeout), and counts it as an outage', async () => {
    const client = makeClient({ requestTimeoutMs: 300, breaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 } });
    sim.setFault({ mode: 'slow', delayMs: 2_000 });
    const t0 = Date.now();
    const error = await client.getSlots({ eventTypeId: 1001 }, { start: futureMonday(), end: futureMonday() }).catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(error).toMatchObject({ name: 'CalcomUnavailableError', reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1_500); // not retried: a timed-out read would blow the caller's deadline
    await expect(client.createBooking({ eventTypeId: 1001 }, { start: `${futureMonday()}T08:00:00.000Z`, attendee })).rejects.toMatchObject({
      reason: 'timeout',
    });
    expect(client.breakerState).toBe('open');
  });

  it('reports a connection failure as network and a caller abort as aborted', async () => {
    const closed = makeClient({ baseUrl: 'http://127.0.0.1:1', retry: { maxAttempts: 1, baseDelayMs: 10 } });
    await expect(closed.getBooking('x')).rejects.toMatchObject({ reason: 'network' });

    const client = makeClient();
    sim.setFault({ mode: 'slow', delayMs: 2_000 });
    await expect(client.getBooking('x', { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ reason: 'aborted' });
    expect(client.breakerState).toBe('closed');
  });

  it('records request durations and errors in Prometheus metrics', async () => {
    const client = makeClient();
    await client.listEventTypes();
    const text = await registry.metrics();
    expect(text).toMatch(/calcom_request_duration_seconds_count\{[^}]*operation="listEventTypes"[^}]*status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/calcom_request_errors_total\{[^}]*reason="circuit_open"/);
  });
});
