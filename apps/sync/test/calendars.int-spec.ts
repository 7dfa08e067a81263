import { randomBytes, randomUUID } from 'node:crypto';
import { BookingReply, CalendarReply, SyncReply, Topics } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { uniqueName, waitFor } from '@receptionist/testing';
import { TestSync, createSyncDatabase, startSync } from './sync-app';
// booking owns the connections and appointments, the gateway receives Cal.com's webhooks: the real ones take part.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequester, TestBooking, startBooking, startBookingRequester } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TestGateway, startGateway } from '../../gateway/test/gateway-app';

/**
 * Each company's own Cal.com (issue 18), end to end with the real gateway, booking and two sync instances: the
 * simulator serves several accounts, each with its own key; booking keeps each company's key sealed and books through
 * it; the webhook subscription made on each account posts to the gateway's per-company route with that company's
 * secret; a revoked key shows on that company's connection only; reconciliation repairs what a lost webhook left
 * behind, cancels an orphan of ours, and a second run finds nothing more.
 */
jest.setTimeout(120_000);

const WEBHOOK_SECRET = 'calendars_platform_webhook_secret';
const hours = [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }];
const prefix = uniqueName('cal');
const day = wednesdayAhead();
const at = (hhmm: string) => berlinAt(day, hhmm);
const erika = { name: 'Erika Mustermann', phone: '+4915112345678', email: null, language: 'de' };

let sim: RunningSimulator<CalcomState>;
let gw: TestGateway;
let booking: TestBooking;
let syncs: TestSync[] = [];
let dropSyncDb: () => Promise<void>;
let requester: BookingRequester;
let producer: MessageProducer;

const ask = (r: Record<string, unknown>): Promise<BookingReply> => requester.ask({ callId: null, ...r } as never);
const calendar = (r: Record<string, unknown>): Promise<CalendarReply> =>
  requester.client.request(Topics.calendarRequest.name, { key: String(r.companyId), companyId: String(r.companyId), subject: null, data: r }, 15_000);
const sync = (r: Record<string, unknown>): Promise<SyncReply> =>
  requester.client.request(Topics.syncRequest.name, { key: String(r.companyId), companyId: String(r.companyId), subject: null, data: r }, 10_000);
/** The business in its own Cal.com (its UI), through the simulator's API with its key. */
const calcomApi = (key: string, path: string, body: unknown): Promise<any> =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'cal-api-version': '2024-08-13', authorization: `Bearer ${key}` }, body: JSON.stringify(body) }).then((r) => r.json());

async function company(key: string, eventTypeId: number): Promise<string> {
  const companyId = `${prefix}-${key}`;
  const doc = setupDoc(companyId);
  await sendSetup(producer, { ...doc, calcomTeamSlug: `salon-${key}`, services: [{ ...doc.services[0], calcomEventTypeId: eventTypeId }], staff: [] });
  await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${companyId}` });
  return companyId;
}
const book = async (companyId: string, start: string) => ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: erika, idempotencyKey: uniqueName('k') });
const appointment = async (companyId: string, id: string) => {
  const list = await ask({ operation: 'appointment.list', companyId, customer: { phone: erika.phone }, includePast: true });
  return (list.data!.appointments as { appointmentId: string; status: string; calcomBookingUid: string }[]).find((a) => a.appointmentId === id);
};
async function reconcile(companyId: string) {
  const started = await sync({ operation: 'reconciliation.start', companyId });
  expect(started.ok).toBe(true);
  const runId = (started.data!.run as { runId: string }).runId;
  let run: Record<string, any> | undefined;
  await waitFor(async () => {
    const list = await sync({ operation: 'reconciliations.list', companyId, limit: 5 });
    run = (list.data!.runs as Record<string, any>[]).find((r) => r.runId === runId);
    return run?.status === 'completed';
  }, { message: 'reconciliation run completed' });
  return run!;
}

beforeAll(async () => {
  sim = await startSimulator(calcomSimulator, { port: 0 });
  sim.state.seed({
    // The platform's own key: a company's key is never mistaken for it.
    apiKey: 'cal_platform_default',
    accounts: [
      { apiKey: 'cal_acct_a', eventTypes: [{ id: 7001, slug: 'beratung', teamSlug: 'salon-a', lengthInMinutes: 30, openingHours: hours }] },
      { apiKey: 'cal_acct_b', eventTypes: [{ id: 8001, slug: 'beratung', teamSlug: 'salon-b', lengthInMinutes: 30, openingHours: hours }] },
      { apiKey: 'cal_acct_c', eventTypes: [{ id: 9001, slug: 'beratung', teamSlug: 'salon-c', lengthInMinutes: 30, openingHours: hours }] },
    ],
  });
  gw = await startGateway({ CALCOM_WEBHOOK_SECRET: WEBHOOK_SECRET });
  booking = await startBooking(
    {
      CALCOM_BASE_URL: sim.url,
      CALCOM_API_KEY: 'cal_platform_default',
      CALENDAR_SECRETS_KEY: randomBytes(32).toString('base64'),
      CALCOM_WEBHOOK_SECRET: WEBHOOK_SECRET,
      CALCOM_WEBHOOK_URL: `${gw.url}/api/calcom/webhook`,
      CALCOM_ORPHAN_GRACE_MS: '1000',
      // Only reconciliation looks for orphans here.
      CALCOM_ORPHAN_SCAN_MS: '0',
      CALENDAR_CONNECTION_CACHE_MS: '100',
    },
    { companies: [`${prefix}*`] },
  );
  // Two sync instances on one database: a company's run is one instance's at a time.
  const db = await createSyncDatabase();
  dropSyncDb = db.drop;
  syncs = [await startSync({ RECONCILE_INTERVAL_MS: '0' }, { database: db.database }), await startSync({ RECONCILE_INTERVAL_MS: '0' }, { database: db.database })];
  requester = await startBookingRequester();
  producer = await startProducer();
});
afterAll(async () => {
  await producer?.disconnect();
  await requester?.stop();
  for (const s of syncs) await s.close();
  await dropSyncDb?.();
  await booking?.close();
  await gw?.close();
  await sim?.close();
});

describe("companies' own Cal.com accounts", () => {
  let A: string;
  let B: string;
  let C: string;

  beforeAll(async () => {
    [A, B, C] = [await company('a', 7001), await company('b', 8001), await company('c', 9001)];
  });

  it('refuses a key Cal.com does not accept, naming apiKey, and stores nothing', async () => {
    const refused = await calendar({ operation: 'connection.put', companyId: A, connection: { provider: 'calcom', apiKey: 'cal_not_a_key', teamSlug: 'salon-a' } });
    expect(refused).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(refused.detail).toMatch(/^apiKey: /);
    expect((await calendar({ operation: 'connection.get', companyId: A })).data!.connection).toMatchObject({ provider: 'platform' });
  });

  it('books the same wall-clock slot for two companies in their own accounts, each webhook on its own route', async () => {
    for (const [id, key, team] of [[A, 'cal_acct_a', 'salon-a'], [B, 'cal_acct_b', 'salon-b'], [C, 'cal_acct_c', 'salon-c']]) {
      const put = await calendar({ operation: 'connection.put', companyId: id, connection: { provider: 'calcom', apiKey: key, teamSlug: team } });
      expect(put).toMatchObject({ ok: true, data: { connection: { provider: 'calcom', teamSlug: team, webhook: { status: 'active' } }, servicesNotInCalendar: [] } });
      expect(JSON.stringify(put)).not.toContain(key);
    }
    expect(sim.state.webhooks.filter((w) => !w.fromEnv).map((w) => [w.account, w.subscriberUrl])).toEqual([
      ['cal_acct_a', `${gw.url}/api/calcom/webhook/${A}`],
      ['cal_acct_b', `${gw.url}/api/calcom/webhook/${B}`],
      ['cal_acct_c', `${gw.url}/api/calcom/webhook/${C}`],
    ]);
    const [a, b] = [await book(A, at('10:00')), await book(B, at('10:00'))];
    expect([a, b].map((r) => r.ok || r)).toEqual([true, true]);
    const inCalcom = [...sim.state.bookings.values()].filter((x) => x.start === at('10:00'));
    expect(inCalcom.map((x) => x.eventTypeId).sort()).toEqual([7001, 8001]);
    // The platform account was never used for them.
    expect(sim.requests().filter((r) => r.path.startsWith('/v2/bookings') && r.headers?.authorization === 'Bearer cal_platform_default')).toEqual([]);

    // Cancelled by the business in its own Cal.com: the webhook on A's route, signed with A's secret, cancels A's only.
    const uidA = (a.data!.appointment as { calcomBookingUid: string; appointmentId: string });
    await calcomApi('cal_acct_a', `/v2/bookings/${uidA.calcomBookingUid}/cancel`, { cancellationReason: 'closed that day' });
    await waitFor(async () => (await appointment(A, uidA.appointmentId))?.status === 'cancelled', { message: "A's appointment cancelled by its webhook" });
    const deliveries = ((await (await fetch(`${sim.url}/__sim/calcom/webhook-deliveries`)).json()) as { deliveries: { subscriberUrl: string; statusCode: number }[] }).deliveries;
    expect(deliveries.filter((d) => d.subscriberUrl.endsWith(`/${A}`)).map((d) => d.statusCode)).toEqual([200, 200]);
    expect((await appointment(B, (b.data!.appointment as { appointmentId: string }).appointmentId))?.status).toBe('booked');
    // A's secret does not open B's route.
    const forged = await fetch(`${gw.url}/api/calcom/webhook/${B}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-cal-signature-256': sim.state.deliveries[0].signature }, body: sim.state.deliveries[0].body });
    expect(forged.status).toBe(401);
  });

  it("shows a revoked key on that company's connection; callers hear the fallback; the others book on", async () => {
    sim.state.accounts.delete('cal_acct_c');
    const refused = await ask({ operation: 'availability.get', companyId: C, serviceId: 'beratung', from: at('09:00'), to: at('17:00') });
    expect(refused).toMatchObject({ ok: false, code: 'calendar_unavailable' });
    const bookedC = await book(C, at('11:00'));
    expect(bookedC).toMatchObject({ ok: false, code: 'calendar_unavailable' });
    await waitFor(async () => ((await calendar({ operation: 'connection.get', companyId: C })).data!.connection as any).health.status === 'error', { message: "C's health shows the error" });
    const health = ((await calendar({ operation: 'connection.get', companyId: C })).data!.connection as any).health;
    expect(health.lastError).toMatch(/401/);
    expect(await book(A, at('11:00'))).toMatchObject({ ok: true });
    expect(((await calendar({ operation: 'connection.get', companyId: A })).data!.connection as any).health.status).toBe('ok');
  });

  it('repairs a lost webhook and cancels an orphan at the next reconciliation; repeating it changes nothing', async () => {
    const made = await book(A, at('14:00'));
    const { appointmentId, calcomBookingUid } = made.data!.appointment as { appointmentId: string; calcomBookingUid: string };
    // Lost: the cancellation in Cal.com, a booking made on Cal.com's own page and the orphan's webhook never reach us.
    await fetch(`${sim.url}/__sim/calcom/drop-webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 3 }) });
    await calcomApi('cal_acct_a', `/v2/bookings/${calcomBookingUid}/cancel`, {});
    const online = await calcomApi('cal_acct_a', '/v2/bookings', { start: at('15:00'), eventTypeId: 7001, attendee: { name: 'Online Kundin', timeZone: 'Europe/Berlin', email: 'online@example.com' } });
    // Ours by its metadata, but no appointment holds it (a create whose answer was lost long ago).
    const orphan = await calcomApi('cal_acct_a', '/v2/bookings', { start: at('16:00'), eventTypeId: 7001, attendee: { name: 'X', timeZone: 'Europe/Berlin', email: 'x@example.com' }, metadata: { appointmentId: randomUUID(), companyId: A } });
    await sim.state.flushWebhooks();
    expect((await appointment(A, appointmentId))?.status).toBe('booked');
    await new Promise((r) => setTimeout(r, 1100)); // the orphan grace period

    const run = await reconcile(A);
    const kinds = run.findings.map((f: { kind: string; calcomBookingUid: string }) => [f.kind, f.calcomBookingUid]);
    expect(kinds).toEqual(expect.arrayContaining([['missed_cancel', calcomBookingUid], ['missed_create', online.data.uid], ['orphan_cancelled', orphan.data.uid]]));
    expect(run.requests).toBeGreaterThanOrEqual(1);
    expect((await appointment(A, appointmentId))?.status).toBe('cancelled');
    expect(sim.state.bookings.get(orphan.data.uid)?.status).toBe('cancelled');
    // The online booking became an appointment of A's.
    expect(run.findings.find((f: { kind: string }) => f.kind === 'missed_create').appointmentId).toEqual(expect.any(String));

    const again = await reconcile(A);
    expect(again.findings).toEqual([]);
    // B's calendar was not touched by A's reconciliation.
    expect((await sync({ operation: 'reconciliations.list', companyId: B, limit: 5 })).data!.runs).toEqual([]);
  });
});
