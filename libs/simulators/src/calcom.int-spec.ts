import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calcomSimulator, CalcomState, DEFAULT_TEAM_SLUG, SLOT_UNAVAILABLE_MESSAGE } from './providers/calcom';
import { RunningSimulator, startSimulator } from './simulator';

let sim: RunningSimulator<CalcomState>;

const AUTH = { authorization: 'Bearer cal_test_key' };
const SLOTS = { ...AUTH, 'cal-api-version': '2024-09-04' };
const BOOKINGS = { ...AUTH, 'cal-api-version': '2024-08-13' };

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** A Monday two weeks ahead (UTC date): weekday opening hours apply and nothing is in the past. */
function futureMonday(): string {
  const d = new Date(Date.now() + 14 * 86_400_000);
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7));
  return d.toISOString().slice(0, 10);
}
const attendee = { name: 'Max Muster', timeZone: 'Europe/Berlin', email: 'max@example.com' };

/** A webhook receiver keeping raw bodies, so signatures are checked over the exact bytes. */
async function receiver() {
  const received: { headers: http.IncomingHttpHeaders; raw: string }[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw });
      res.writeHead(200).end('{"received":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calcom/webhook`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const verify = (secret: string, raw: string, signature: string) => {
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  return expected.length === Buffer.from(signature).length && timingSafeEqual(expected, Buffer.from(signature));
};

beforeAll(async () => {
  sim = await startSimulator(calcomSimulator, { port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('Cal.com simulator: auth, versions, envelope', () => {
  it('requires a cal_ bearer key where Cal.com does, with its error shape', async () => {
    const none = await call('GET', '/v2/event-types', { 'cal-api-version': '2024-06-14' });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ status: 'error', path: '/v2/event-types', error: { code: 'UnauthorizedException' } });
    expect((await call('GET', '/v2/event-types', { authorization: 'Bearer sk_nope', 'cal-api-version': '2024-06-14' })).status).toBe(401);
    const ok = await call('GET', '/v2/event-types', { ...AUTH, 'cal-api-version': '2024-06-14' });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('success');
    expect(ok.body.data.map((t: { slug: string }) => t.slug)).toEqual(['beratung', 'haarschnitt', 'kontrolle']);
    expect(ok.body.data[0]).toMatchObject({ id: 1001, lengthInMinutes: 30, team: { slug: DEFAULT_TEAM_SLUG } });
    expect((await call('GET', '/v2/event-types/1002', { ...AUTH, 'cal-api-version': '2024-06-14' })).body.data.slug).toBe('haarschnitt');
    expect((await call('GET', '/v2/event-types/9', { ...AUTH, 'cal-api-version': '2024-06-14' })).status).toBe(404);
    // Slots are public in Cal.com; a present but invalid key is still refused.
    const day = futureMonday();
    expect((await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}`, { 'cal-api-version': '2024-09-04' })).status).toBe(200);
    expect((await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}`, { authorization: 'Bearer x', 'cal-api-version': '2024-09-04' })).status).toBe(401);
  });

  it('only accepts the seeded key when one is configured', async () => {
    await call('POST', '/__sim/calcom/seed', {}, { apiKey: 'cal_live_only' });
    expect((await call('GET', '/v2/webhooks', AUTH)).status).toBe(401);
    expect((await call('GET', '/v2/webhooks', { authorization: 'Bearer cal_live_only' })).status).toBe(200);
  });

  it('answers 400 naming the version when cal-api-version is missing or wrong for the endpoint', async () => {
    const day = futureMonday();
    const missing = await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}`, AUTH);
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('2024-09-04');
    const wrong = await call('POST', '/v2/bookings', SLOTS, { start: `${day}T08:00:00Z`, eventTypeId: 1001, attendee });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('2024-08-13');
  });

  it('sends the rate-limit headers', async () => {
    const res = await call('GET', '/v2/webhooks', AUTH);
    expect(res.headers.get('x-ratelimit-limit-default')).toBe('120');
    expect(res.headers.get('x-ratelimit-remaining-default')).toBe('119');
    await call('POST', '/__sim/calcom/seed', {}, { rateLimit: { limit: 1, enforce: true } });
    expect((await call('GET', '/v2/webhooks', AUTH)).status).toBe(200);
    const limited = await call('GET', '/v2/webhooks', AUTH);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is down through the shared controls, in Cal.com’s error shape', async () => {
    sim.setFault({ mode: 'down' });
    const down = await call('GET', '/v2/bookings', BOOKINGS);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'error', error: { code: 'ServiceUnavailableException' } });
  });
});

describe('Cal.com simulator: slots', () => {
  it('returns slots from opening hours keyed by date in the requested zone', async () => {
    const day = futureMonday();
    const { status, body } = await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}&timeZone=Europe/Berlin`, SLOTS);
    expect(status).toBe(200);
    const starts: string[] = body.data[day].map((s: { start: string }) => s.start);
    const local = starts.map((s) => s.slice(11, 16));
    expect(local[0]).toBe('09:00');
    expect(local).toContain('11:30');
    expect(local).not.toContain('12:00'); // lunch break
    expect(local).toContain('13:00');
    expect(local.at(-1)).toBe('16:30');
    expect(starts[0]).toMatch(/^\d{4}-\d{2}-\d{2}T09:00:00\.000\+0[12]:00$/);

    // Same slots by slug within the team, shown in New York time (dates keyed there too).
    const ny = await call('GET', `/v2/slots?eventTypeSlug=beratung&teamSlug=${DEFAULT_TEAM_SLUG}&start=${day}&end=${day}&timeZone=America/New_York`, SLOTS);
    const nyStarts = Object.values(ny.body.data).flat() as { start: string }[];
    expect(nyStarts.map((s) => Date.parse(s.start))).toEqual(starts.map((s) => Date.parse(s)));
    expect(nyStarts[0].start).toMatch(/-0[45]:00$/);

    // slotFormat=range and a longer allowed duration.
    const range = await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}&timeZone=Europe/Berlin&duration=60&slotFormat=range`, SLOTS);
    expect(range.body.data[day][0]).toEqual({ start: expect.stringContaining('T09:00'), end: expect.stringContaining('T10:00') });
    expect(range.body.data[day].map((s: { start: string }) => s.start.slice(11, 16))).not.toContain('11:30');
    expect((await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}&duration=45`, SLOTS)).status).toBe(400);
  });

  it('validates the query and unknown event types', async () => {
    expect((await call('GET', '/v2/slots?eventTypeId=1001', SLOTS)).body.error.message).toMatch(/^start /);
    expect((await call('GET', '/v2/slots?eventTypeId=1001&start=nope&end=2050-01-01', SLOTS)).status).toBe(400);
    expect((await call('GET', `/v2/slots?eventTypeId=1001&start=${futureMonday()}&end=${futureMonday()}&timeZone=Mars/Base`, SLOTS)).status).toBe(400);
    expect((await call('GET', `/v2/slots?eventTypeId=4242&start=${futureMonday()}&end=${futureMonday()}`, SLOTS)).status).toBe(404);
    expect((await call('GET', `/v2/slots?eventTypeSlug=beratung&teamSlug=other&start=${futureMonday()}&end=${futureMonday()}`, SLOTS)).status).toBe(404);
  });

  it('is seeded through /__sim/calcom/seed (time zone, hours, length)', async () => {
    const seeded = await call('POST', '/__sim/calcom/seed', {}, {
      eventTypes: [{ id: 7, slug: 'massage', lengthInMinutes: 60, teamSlug: 'spa', timeZone: 'America/New_York', openingHours: [{ days: [1], start: '10:00', end: '12:00' }] }],
    });
    expect(seeded.status).toBe(200);
    expect(seeded.body.eventTypes).toEqual([expect.objectContaining({ id: 7, slug: 'massage', team: { id: expect.any(Number), slug: 'spa' } })]);
    const day = futureMonday();
    const { body } = await call('GET', `/v2/slots?eventTypeSlug=massage&teamSlug=spa&start=${day}&end=${day}&timeZone=America/New_York`, SLOTS);
    expect(body.data[day].map((s: { start: string }) => s.start.slice(11, 16))).toEqual(['10:00', '11:00']);
    expect((await call('POST', '/__sim/calcom/seed', {}, { eventTypes: [{ slug: 'Bad Slug' }] })).status).toBe(400);
  });
});

describe('Cal.com simulator: bookings', () => {
  const create = (body: Record<string, unknown>) => call('POST', '/v2/bookings', BOOKINGS, body);

  it('creates, reads, lists, reschedules (new uid) and cancels, freeing and taking slots', async () => {
    const day = futureMonday();
    const start = `${day}T08:00:00.000Z`; // 09:00 or 10:00 in Berlin, within hours either way
    const created = await create({ start, eventTypeSlug: 'beratung', teamSlug: DEFAULT_TEAM_SLUG, attendee, metadata: { callId: 'c1' } });
    expect(created.status).toBe(201);
    const b = created.body.data;
    expect(b).toMatchObject({ status: 'accepted', start, duration: 30, eventTypeId: 1001, eventType: { id: 1001, slug: 'beratung' }, metadata: { callId: 'c1' } });
    expect(b.end).toBe(new Date(Date.parse(start) + 30 * 60_000).toISOString());
    expect(b.attendees[0]).toMatchObject({ name: 'Max Muster', email: 'max@example.com', timeZone: 'Europe/Berlin' });

    expect((await call('GET', `/v2/bookings/${b.uid}`, BOOKINGS)).body.data.uid).toBe(b.uid);
    expect((await call('GET', '/v2/bookings/nope', BOOKINGS)).body.error).toEqual({ code: 'NotFoundException', message: 'Booking with uid=nope not found' });
    const slots = await call('GET', `/v2/slots?eventTypeId=1001&start=${day}&end=${day}`, SLOTS);
    expect(slots.body.data[day].map((s: { start: string }) => Date.parse(s.start))).not.toContain(Date.parse(start));

    // Taken by someone else → 400 as API v2 answers; the same attendee again → the existing booking.
    const taken = await create({ start, eventTypeId: 1001, attendee: { ...attendee, email: 'other@example.com' } });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toEqual({ code: 'BadRequestException', message: SLOT_UNAVAILABLE_MESSAGE });
    expect((await create({ start, eventTypeId: 1001, attendee })).body.data.uid).toBe(b.uid);
    // Outside opening hours.
    expect((await create({ start: `${day}T03:00:00.000Z`, eventTypeId: 1001, attendee })).status).toBe(400);

    const list = await call('GET', `/v2/bookings?status=upcoming&attendeeEmail=max@example.com&take=10`, BOOKINGS);
    expect(list.body.data.map((x: { uid: string }) => x.uid)).toEqual([b.uid]);
    expect(list.body.pagination).toMatchObject({ totalItems: 1, returnedItems: 1, hasNextPage: false });
    expect((await call('GET', '/v2/bookings', { 'cal-api-version': '2024-08-13' })).status).toBe(401);

    const newStart = `${day}T09:00:00.000Z`;
    const moved = await call('POST', `/v2/bookings/${b.uid}/reschedule`, BOOKINGS, { start: newStart, reschedulingReason: 'later' });
    expect(moved.status).toBe(201);
    expect(moved.body.data).toMatchObject({ start: newStart, status: 'accepted', rescheduledFromUid: b.uid, reschedulingReason: 'later' });
    expect(moved.body.data.uid).not.toBe(b.uid);
    expect((await call('GET', `/v2/bookings/${b.uid}`, BOOKINGS)).body.data).toMatchObject({ status: 'cancelled', rescheduledToUid: moved.body.data.uid });
    // The old time is free again.
    expect((await create({ start, eventTypeId: 1001, attendee: { ...attendee, email: 'third@example.com' } })).status).toBe(201);

    const cancelled = await call('POST', `/v2/bookings/${moved.body.data.uid}/cancel`, BOOKINGS, { cancellationReason: 'sick' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', cancellationReason: 'sick' });
    expect((await call('POST', `/v2/bookings/${moved.body.data.uid}/cancel`, BOOKINGS, {})).status).toBe(400);
    expect((await call('POST', `/v2/bookings/${moved.body.data.uid}/reschedule`, BOOKINGS, { start })).status).toBe(400);
  });

  it('validates the create body, naming the field', async () => {
    const start = `${futureMonday()}T08:00:00.000Z`;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ eventTypeId: 1001, attendee }, /^start /],
      [{ start: '2050-01-01 10:00', eventTypeId: 1001, attendee }, /^start /],
      [{ start, attendee }, /^eventTypeId /],
      [{ start, eventTypeId: 1001, attendee: { ...attendee, name: ' ' } }, /^attendee\.name /],
      [{ start, eventTypeId: 1001, attendee: { name: 'A', timeZone: 'Europe/Berlin' } }, /^attendee\.email /],
      [{ start, eventTypeId: 1001, attendee: { ...attendee, timeZone: 'Berlin' } }, /^attendee\.timeZone /],
      [{ start, eventTypeId: 1001, attendee: { ...attendee, phoneNumber: '0151 123' } }, /^attendee\.phoneNumber /],
      [{ start, eventTypeId: 1001, attendee, metadata: { k: 'x'.repeat(501) } }, /^metadata/],
    ];
    for (const [body, message] of cases) {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BadRequestException');
      expect(res.body.error.message).toMatch(message);
    }
    expect((await create({ start, eventTypeId: 999, attendee })).status).toBe(404);
    expect(sim.state.bookings.size).toBe(0);
  });

  it('answers the next creates as scripted: 429 with Retry-After, a cut-off 201, an earlier booking', async () => {
    const start = `${futureMonday()}T08:00:00.000Z`;
    const refused = await call('POST', '/__sim/calcom/create-answers', {}, { answers: [{ kind: 'slow' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/^answers\.0\.kind /);
    expect((await call('POST', '/__sim/calcom/create-answers', {}, { answers: [{ kind: 'rate_limited', retryAfterSeconds: 2 }, { kind: 'garbled' }] })).body).toEqual({ queued: 2 });

    const limited = await create({ start, eventTypeId: 1001, attendee });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(sim.state.bookings.size).toBe(0); // not processed
    const cut = await fetch(`${sim.url}/v2/bookings`, { method: 'POST', headers: { ...BOOKINGS, 'content-type': 'application/json' }, body: JSON.stringify({ start, eventTypeId: 1001, attendee }) });
    expect(cut.status).toBe(201);
    const text = await cut.text();
    expect(() => JSON.parse(text)).toThrow();
    const [made] = [...sim.state.bookings.values()];
    expect(made).toMatchObject({ start, status: 'accepted' }); // booked all the same

    sim.state.createAnswers.push({ kind: 'existing', uid: made.uid });
    const other = await create({ start: `${futureMonday()}T09:00:00.000Z`, eventTypeId: 1001, attendee: { ...attendee, email: 'other@example.com' } });
    expect(other.status).toBe(201);
    expect(other.body.data.uid).toBe(made.uid);
    expect(sim.state.bookings.size).toBe(1);
  });
});

describe('Cal.com simulator: webhooks', () => {
  it('sends signed BOOKING_CREATED, RESCHEDULED and CANCELLED to subscribers registered via the API', async () => {
    const rx = await receiver();
    try {
      const hook = await call('POST', '/v2/webhooks', AUTH, {
        subscriberUrl: rx.url,
        triggers: ['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED'],
        secret: 'whsec_test',
      });
      expect(hook.status).toBe(201);
      expect(hook.body.data).not.toHaveProperty('secret');

      const day = futureMonday();
      const b = (await create(`${day}T08:00:00.000Z`)).body.data;
      const moved = (await call('POST', `/v2/bookings/${b.uid}/reschedule`, BOOKINGS, { start: `${day}T09:00:00.000Z` })).body.data;
      await call('POST', `/v2/bookings/${moved.uid}/cancel`, BOOKINGS, { cancellationReason: 'sick' });
      await sim.state.flushWebhooks();

      expect(rx.received).toHaveLength(3);
      const events = rx.received.map((r) => JSON.parse(r.raw));
      expect(events.map((e) => e.triggerEvent)).toEqual(['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED']);
      for (const r of rx.received) {
        expect(r.headers['content-type']).toBe('application/json');
        expect(verify('whsec_test', r.raw, String(r.headers['x-cal-signature-256']))).toBe(true);
        expect(verify('wrong', r.raw, String(r.headers['x-cal-signature-256']))).toBe(false);
      }
      expect(events[0].payload).toMatchObject({ uid: b.uid, bookingId: b.id, eventTypeId: 1001, type: 'beratung', startTime: b.start, status: 'ACCEPTED' });
      expect(events[0].payload.attendees[0]).toMatchObject({ name: 'Max Muster', email: 'max@example.com' });
      expect(events[1].payload).toMatchObject({ uid: moved.uid, rescheduleUid: b.uid, rescheduleStartTime: b.start });
      expect(events[2].payload).toMatchObject({ uid: moved.uid, status: 'CANCELLED', cancellationReason: 'sick' });

      const deliveries = (await call('GET', '/__sim/calcom/webhook-deliveries')).body.deliveries;
      expect(deliveries.map((d: { statusCode: number }) => d.statusCode)).toEqual([200, 200, 200]);
    } finally {
      await rx.close();
    }

    async function create(start: string) {
      return call('POST', '/v2/bookings', BOOKINGS, { start, eventTypeId: 1001, attendee });
    }
  });

  it('delivers to SIM_CALCOM_WEBHOOK_URL with SIM_CALCOM_WEBHOOK_SECRET, and marks a missing secret', async () => {
    const rx = await receiver();
    const saved = { ...process.env };
    process.env.SIM_CALCOM_WEBHOOK_URL = rx.url;
    process.env.SIM_CALCOM_WEBHOOK_SECRET = 'env_secret';
    const envSim = await startSimulator(calcomSimulator, { port: 0 });
    process.env = saved;
    try {
      await fetch(`${envSim.url}/v2/bookings`, {
        method: 'POST',
        headers: { ...BOOKINGS, 'content-type': 'application/json' },
        body: JSON.stringify({ start: `${futureMonday()}T08:00:00.000Z`, eventTypeId: 1001, attendee }),
      });
      // A second subscriber without a secret gets the literal marker Cal.com sends.
      envSim.state.webhooks.push({ id: 'x', subscriberUrl: rx.url, triggers: ['BOOKING_CANCELLED'], active: true, payloadTemplate: null, secret: null, fromEnv: false, account: 'default' });
      const uid = [...envSim.state.bookings.keys()][0];
      await fetch(`${envSim.url}/v2/bookings/${uid}/cancel`, { method: 'POST', headers: { ...BOOKINGS, 'content-type': 'application/json' }, body: '{}' });
      await envSim.state.flushWebhooks();
      expect(rx.received).toHaveLength(3);
      expect(verify('env_secret', rx.received[0].raw, String(rx.received[0].headers['x-cal-signature-256']))).toBe(true);
      expect(rx.received.map((r) => r.headers['x-cal-signature-256'])).toContain('no-secret-provided');
      // Reset keeps the env subscriber.
      envSim.reset();
      expect(envSim.state.webhooks.map((w) => w.id)).toEqual(['env']);
    } finally {
      await envSim.close();
      await rx.close();
    }
  });
});

describe('Cal.com simulator: several accounts', () => {
  const hours = [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }];
  const A = { authorization: 'Bearer cal_account_a' };
  const B = { authorization: 'Bearer cal_account_b' };
  beforeEach(async () => {
    const seeded = await call('POST', '/__sim/calcom/seed', {}, {
      accounts: [
        { apiKey: 'cal_account_a', eventTypes: [{ id: 5001, slug: 'cut', teamSlug: 'salon-a', lengthInMinutes: 30, openingHours: hours }] },
        { apiKey: 'cal_account_b', eventTypes: [{ id: 6001, slug: 'cut', teamSlug: 'salon-b', lengthInMinutes: 30, openingHours: hours }] },
      ],
    });
    expect(seeded.status).toBe(200);
  });

  it('shows each key only its own event types, bookings and webhooks; the same wall-clock slot books in both', async () => {
    expect((await call('GET', '/v2/event-types', { ...A, 'cal-api-version': '2024-06-14' })).body.data.map((t: { id: number }) => t.id)).toEqual([5001]);
    expect((await call('GET', '/v2/event-types/6001', { ...A, 'cal-api-version': '2024-06-14' })).status).toBe(404);
    const start = `${futureMonday()}T09:00:00.000Z`;
    const a = await call('POST', '/v2/bookings', { ...A, 'cal-api-version': '2024-08-13' }, { start, eventTypeId: 5001, attendee });
    const b = await call('POST', '/v2/bookings', { ...B, 'cal-api-version': '2024-08-13' }, { start, eventTypeId: 6001, attendee });
    expect([a.status, b.status]).toEqual([201, 201]);
    // Another account's event type or booking does not exist for this key.
    expect((await call('POST', '/v2/bookings', { ...A, 'cal-api-version': '2024-08-13' }, { start, eventTypeId: 6001, attendee })).status).toBe(404);
    expect((await call('POST', `/v2/bookings/${b.body.data.uid}/cancel`, { ...A, 'cal-api-version': '2024-08-13' }, {})).status).toBe(404);
    const listA = await call('GET', '/v2/bookings', { ...A, 'cal-api-version': '2024-08-13' });
    expect(listA.body.data.map((x: { uid: string }) => x.uid)).toEqual([a.body.data.uid]);
    expect((await call('GET', '/v2/event-types', { authorization: 'Bearer wrong', 'cal-api-version': '2024-06-14' })).status).toBe(401);
    await call('POST', '/v2/webhooks', A, { subscriberUrl: 'http://127.0.0.1:9/a', triggers: ['BOOKING_CREATED'] });
    expect((await call('GET', '/v2/webhooks', B)).body.data).toEqual([]);
  });

  it('filters by afterUpdatedAt and drops webhooks on request', async () => {
    const rx = await receiver();
    try {
      await call('POST', '/v2/webhooks', A, { subscriberUrl: rx.url, triggers: ['BOOKING_CREATED'] });
      await call('POST', '/__sim/calcom/drop-webhooks', {}, { count: 1 });
      const day = futureMonday();
      await call('POST', '/v2/bookings', { ...A, 'cal-api-version': '2024-08-13' }, { start: `${day}T09:00:00.000Z`, eventTypeId: 5001, attendee });
      const cut = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      await call('POST', '/v2/bookings', { ...A, 'cal-api-version': '2024-08-13' }, { start: `${day}T10:00:00.000Z`, eventTypeId: 5001, attendee });
      await sim.state.flushWebhooks();
      expect(rx.received).toHaveLength(1);
      const after = await call('GET', `/v2/bookings?afterUpdatedAt=${encodeURIComponent(cut)}&sortUpdatedAt=asc`, { ...A, 'cal-api-version': '2024-08-13' });
      expect(after.body.data.map((x: { start: string }) => x.start)).toEqual([`${day}T10:00:00.000Z`]);
    } finally {
      await rx.close();
    }
  });
});
