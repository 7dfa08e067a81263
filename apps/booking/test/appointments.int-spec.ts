import { registry } from '@receptionist/observability';
import { BookingReply, Topics, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import Redis from 'ioredis';
import { collectMessages, testInfra, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { CalcomClient } from '../src/calcom';
import { addDays } from '../src/common/zoned-time';
import { BookingRequester, TestBooking, startBooking, startBookingRequester } from './booking-app';
import { BookingSetupInput, berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from './fixtures';

jest.setTimeout(120000);

/**
 * booking.request end to end: real Kafka (request-reply and outbox events), MariaDB and Redis, the Cal.com
 * simulator in-process. Each test sets up its own company, so their appointments never meet.
 */
describe('booking during the call', () => {
  const prefix = uniqueName('bk');
  let sim: RunningSimulator<CalcomState>;
  let booking: TestBooking;
  let requester: BookingRequester;
  let producer: MessageProducer;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  let n = 0;

  const TZ = 'Europe/Berlin';
  const day = wednesdayAhead();
  const at = (hhmm: string, date = day) => berlinAt(date, hhmm);
  type Caller = { name: string; phone: string | null; email: string | null; language: string };
  const erika: Caller = { name: 'Erika Mustermann', phone: '+4915112345678', email: null, language: 'de' };
  const max: Caller = { name: 'Max Muster', phone: '+4915187654321', email: 'max@example.com', language: 'de' };

  const eventsOf = (companyId: string, type?: string) =>
    events.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === companyId && (!type || e.type === type));
  const simBookings = () => [...sim.state.bookings.values()];
  const ask = (r: any): Promise<BookingReply> => requester.ask({ callId: null, ...r });

  async function company(overrides: Partial<BookingSetupInput> = {}): Promise<string> {
    const companyId = `${prefix}-${++n}`;
    await sendSetup(producer, setupDoc(companyId, overrides));
    await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${companyId}` });
    return companyId;
  }
  const book = (companyId: string, start: string, customer: Caller = erika, key = uniqueName('key')) =>
    ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer, idempotencyKey: key });

  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    const metric = registry.getSingleMetric(name);
    const values = metric ? (await metric.get()).values : [];
    return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  }

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    events = await collectMessages(
      testKafka(),
      [Topics.bookingCreated.name, Topics.bookingCancelled.name, Topics.bookingRescheduled.name, Topics.callbackRequested.name],
      { fromBeginning: false },
    );
    booking = await startBooking(
      {
        CALCOM_BASE_URL: sim.url,
        CALCOM_API_KEY: 'cal_test_booking',
        CALCOM_TEAM_SLUG: 'demo-praxis',
        CALCOM_REQUEST_TIMEOUT_MS: '2000',
        CALCOM_RETRY_BASE_DELAY_MS: '10',
        CALCOM_BREAKER_HALF_OPEN_MS: '1500',
      },
      { companies: [`${prefix}*`] },
    );
    requester = await startBookingRequester();
    producer = await startProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await requester?.stop();
    await booking?.close();
    await events?.stop();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  it('answers availability from Cal.com, then from the cache, and drops the cache when a booking is made', async () => {
    const companyId = await company();
    const range = { operation: 'availability.get', companyId, serviceId: 'beratung', from: at('00:00'), to: at('23:59') };
    const hits = await counter('booking_availability_cache_lookups_total', { result: 'hit' });

    const first = await ask(range);
    expect(first).toMatchObject({ ok: true, data: { serviceName: 'Beratung', durationMinutes: 30, timeZone: TZ, cached: false } });
    const slots = first.data!.slots as string[];
    expect(slots[0]).toMatch(new RegExp(`^${day}T09:00:00\\.000\\+0[12]:00$`));
    expect(slots).toHaveLength(14); // 09–12 and 13–17 in 30-minute steps

    const second = await ask(range);
    expect(second.data).toMatchObject({ cached: true, slots });
    expect(await counter('booking_availability_cache_lookups_total', { result: 'hit' })).toBe(hits + 1);
    const slotRequests = sim.requests().filter((r) => r.path === '/v2/slots');
    expect(slotRequests).toHaveLength(1);
    expect(slotRequests[0].headers['cal-api-version']).toBe('2024-09-04');

    expect((await book(companyId, slots[2])).ok).toBe(true);
    const third = await ask(range);
    expect(third.data!.cached).toBe(false);
    expect(third.data!.slots).toEqual(slots.filter((s) => s !== slots[2]));
  });

  it('drops cached slots when Cal.com reports a booking made elsewhere (calcom.booking.changed)', async () => {
    const companyId = await company();
    const range = { operation: 'availability.get', companyId, serviceId: 'beratung', from: at('00:00'), to: at('23:59') };
    const slots = (await ask(range)).data!.slots as string[];
    // Someone books 16:00 on Cal.com's own page: our cache does not know yet.
    const res = await fetch(`${sim.url}/v2/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cal-api-version': '2024-08-13' },
      body: JSON.stringify({ eventTypeId: 1001, start: at('16:00'), attendee: { name: 'Walk In', email: 'walk@example.com', timeZone: TZ } }),
    });
    expect(res.status).toBe(201);
    const uid = ((await res.json()) as { data: { uid: string } }).data.uid;
    expect((await ask(range)).data).toMatchObject({ cached: true, slots });

    await producer.publish({
      topic: Topics.calcomBookingChanged.name,
      key: uid,
      envelope: createEnvelope({ type: Topics.calcomBookingChanged.name, source: 'gateway', companyId: null, subject: uid, data: { trigger: 'BOOKING_CREATED', calcomBookingUid: uid, payload: { uid, eventTypeId: 1001 } } }),
    });
    const fresh = await waitFor(async () => {
      const r = await ask(range);
      return r.data!.cached ? null : r;
    }, { message: 'cache dropped' });
    expect((fresh.data!.slots as string[]).map((x) => Date.parse(x))).not.toContain(Date.parse(at('16:00')));
  });

  it('books once in Cal.com, publishes booking.created, and a retried request returns the same appointment', async () => {
    const companyId = await company();
    const key = uniqueName('retell-call');
    const reply = await ask({ operation: 'appointment.book', companyId, callId: 'call_1', serviceId: 'beratung', start: at('10:00'), customer: erika, notes: 'erstes Mal', idempotencyKey: key });
    expect(reply).toMatchObject({ ok: true, data: { replayed: false, appointment: { serviceName: 'Beratung', status: 'booked', rescheduledCount: 0 }, customer: { name: erika.name, phone: erika.phone } } });
    const appointment = reply.data!.appointment as any;
    expect(Date.parse(appointment.startsAt)).toBe(Date.parse(at('10:00')));
    expect(Date.parse(appointment.endsAt)).toBe(Date.parse(at('10:30')));

    expect(simBookings()).toHaveLength(1);
    expect(simBookings()[0]).toMatchObject({ uid: appointment.calcomBookingUid, start: at('10:00'), status: 'accepted', metadata: { appointmentId: appointment.appointmentId, callId: 'call_1' } });
    expect(simBookings()[0].attendees[0]).toMatchObject({ name: erika.name, phoneNumber: erika.phone, timeZone: TZ });

    const [created] = await waitFor(() => (eventsOf(companyId, 'booking.created').length ? eventsOf(companyId, 'booking.created') : null), { message: 'booking.created' });
    expect(created).toMatchObject({ source: booking.service, subject: appointment.appointmentId });
    expect(created.data).toMatchObject({
      appointmentId: appointment.appointmentId,
      calcomBookingUid: appointment.calcomBookingUid,
      serviceName: 'Beratung',
      timeZone: TZ,
      callId: 'call_1',
      customer: { name: erika.name, phone: erika.phone, language: 'de' },
    });

    // Retell retries a tool call: same key, sequentially and concurrently.
    const retries = await Promise.all([1, 2, 3].map(() => ask({ operation: 'appointment.book', companyId, callId: 'call_1', serviceId: 'beratung', start: at('10:00'), customer: erika, idempotencyKey: key })));
    for (const r of retries) expect(r).toMatchObject({ ok: true, data: { replayed: true, appointment: { appointmentId: appointment.appointmentId } } });
    expect(simBookings()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(eventsOf(companyId, 'booking.created')).toHaveLength(1);

    const lookup = await ask({ operation: 'customer.lookup', companyId, phone: erika.phone });
    expect(lookup).toMatchObject({ ok: true, data: { customer: { name: erika.name, phone: erika.phone } } });
    expect((lookup.data!.appointments as any[]).map((a) => a.appointmentId)).toEqual([appointment.appointmentId]);
    expect(await ask({ operation: 'customer.lookup', companyId, phone: '+4930999999' })).toMatchObject({ ok: true, data: { customer: null, appointments: [] } });
  });

  it('twenty concurrent callers on one slot: exactly one booking, nineteen slot_taken with alternatives', async () => {
    const companyId = await company();
    const start = at('14:00');
    const callers = Array.from({ length: 20 }, (_, i) => ({ name: `Caller ${i}`, phone: `+49151000000${String(i).padStart(2, '0')}`, email: null, language: 'de' }));
    const replies = await Promise.all(callers.map((c) => book(companyId, start, c)));

    const ok = replies.filter((r) => r.ok);
    const taken = replies.filter((r) => !r.ok);
    expect(ok).toHaveLength(1);
    expect(taken).toHaveLength(19);
    for (const r of taken) {
      expect(r.code).toBe('slot_taken');
      const alternatives = r.data!.alternatives as string[];
      expect(alternatives.length).toBeGreaterThanOrEqual(1);
      expect(alternatives.length).toBeLessThanOrEqual(3);
      expect(alternatives.map((a) => Date.parse(a))).not.toContain(Date.parse(start));
      // Same day first, nearest to 14:00.
      expect(alternatives[0].slice(0, 10)).toBe(day);
      expect(Math.abs(Date.parse(alternatives[0]) - Date.parse(start))).toBe(30 * 60_000);
    }
    expect(simBookings().filter((b) => b.start === start && b.status === 'accepted')).toHaveLength(1);
    await waitFor(() => eventsOf(companyId, 'booking.created').length === 1, { message: 'one booking.created' });
  });

  it('a calendar locked by another caller is slot_taken without asking Cal.com to book, and bookable once released', async () => {
    const companyId = await company();
    const start = at('13:00');
    const redis = new Redis({ host: testInfra.redis.host, port: testInfra.redis.port });
    const key = `booking:calendar-lock:${companyId}:event-type:1001`;
    try {
      await redis.set(key, 'another-caller:token', 'PX', 60_000);
      const reply = await book(companyId, start);
      expect(reply).toMatchObject({ ok: false, code: 'slot_taken', detail: expect.stringMatching(/another caller/) });
      expect(sim.requests().filter((r) => r.method === 'POST' && r.path === '/v2/bookings')).toHaveLength(0);
      await redis.del(key);
      expect((await book(companyId, start)).ok).toBe(true);
      expect(await redis.exists(key)).toBe(0); // released after booking
    } finally {
      redis.disconnect();
    }
  });

  it('refuses bad bookings with a code and changes nothing', async () => {
    const companyId = await company();
    expect(await book(companyId, new Date(Date.now() - 3_600_000).toISOString())).toMatchObject({ ok: false, code: 'in_the_past' });
    expect(await book(companyId, new Date(Date.now() + 10 * 60_000).toISOString())).toMatchObject({ ok: false, code: 'too_short_notice' });
    expect(await book(companyId, new Date(Date.now() + 90 * 86_400_000).toISOString())).toMatchObject({ ok: false, code: 'beyond_horizon' });
    const evening = await book(companyId, at('19:00'));
    expect(evening).toMatchObject({ ok: false, code: 'outside_opening_hours' });
    expect((evening.data!.alternatives as string[]).length).toBeGreaterThan(0);
    expect(await ask({ operation: 'appointment.book', companyId, serviceId: 'massage', start: at('10:00'), customer: erika, idempotencyKey: 'k1' })).toMatchObject({ ok: false, code: 'unknown_service' });
    expect(await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', staffId: 'ben', start: at('10:00'), customer: erika, idempotencyKey: 'k2' })).toMatchObject({ ok: false, code: 'unknown_staff' });
    const noName = await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start: at('10:00'), customer: { ...erika, name: '' }, idempotencyKey: 'k3' });
    expect(noName).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(noName.detail).toMatch(/^customer\.name:/);
    expect(simBookings()).toHaveLength(0);
    expect(await ask({ operation: 'appointment.list', companyId, customer: { phone: erika.phone } })).toMatchObject({ ok: true, data: { customer: null, appointments: [] } });
  });

  it("cancels and reschedules only the caller's own appointment", async () => {
    const companyId = await company();
    const booked = await book(companyId, at('09:00'));
    const appointmentId = (booked.data!.appointment as any).appointmentId;
    expect((await book(companyId, at('11:00'), max)).ok).toBe(true);

    // Max may not touch Erika's appointment; it looks like no appointment at all.
    expect(await ask({ operation: 'appointment.cancel', companyId, customer: { phone: max.phone }, appointmentId })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: max.phone }, appointmentId, newStart: at('15:00'), idempotencyKey: uniqueName('r') })).toMatchObject({ ok: false, code: 'not_found' });
    expect(await ask({ operation: 'appointment.cancel', companyId, customer: { phone: '+4930111111' }, appointmentId })).toMatchObject({ ok: false, code: 'not_found' });

    const key = uniqueName('move');
    const moved = await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: erika.phone }, appointmentId, newStart: at('15:00'), idempotencyKey: key });
    expect(moved).toMatchObject({ ok: true, data: { replayed: false, appointment: { appointmentId, rescheduledCount: 1 } } });
    const newUid = (moved.data!.appointment as any).calcomBookingUid;
    expect(Date.parse((moved.data!.appointment as any).startsAt)).toBe(Date.parse(at('15:00')));
    expect(sim.state.bookings.get(newUid)).toMatchObject({ start: at('15:00'), status: 'accepted' });
    expect(simBookings().find((b) => b.start === at('09:00'))?.status).toBe('cancelled');
    const again = await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: erika.phone }, appointmentId, newStart: at('15:00'), idempotencyKey: key });
    expect(again).toMatchObject({ ok: true, data: { replayed: true, appointment: { appointmentId, rescheduledCount: 1, calcomBookingUid: newUid } } });
    const [rescheduled] = await waitFor(() => (eventsOf(companyId, 'booking.rescheduled').length ? eventsOf(companyId, 'booking.rescheduled') : null), { message: 'booking.rescheduled' });
    // Each fact carries the appointment's version, so consumers of the three topics can order them.
    expect(eventsOf(companyId, 'booking.created').find((e) => e.data.appointmentId === appointmentId)?.data.version).toBe(1);
    expect(rescheduled.data).toMatchObject({ appointmentId, calcomBookingUid: newUid, version: 2 });
    expect(Date.parse(rescheduled.data.previousStartsAt)).toBe(Date.parse(at('09:00')));

    // Taken target: Max's 11:00.
    const clash = await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: erika.phone }, appointmentId, newStart: at('11:00'), idempotencyKey: uniqueName('r') });
    expect(clash).toMatchObject({ ok: false, code: 'slot_taken' });

    const cancelled = await ask({ operation: 'appointment.cancel', companyId, customer: { phone: erika.phone }, appointmentId, reason: 'krank' });
    expect(cancelled).toMatchObject({ ok: true, data: { alreadyCancelled: false, appointment: { appointmentId, status: 'cancelled' } } });
    expect(sim.state.bookings.get(newUid)?.status).toBe('cancelled');
    const [event] = await waitFor(() => (eventsOf(companyId, 'booking.cancelled').length ? eventsOf(companyId, 'booking.cancelled') : null), { message: 'booking.cancelled' });
    expect(event.data).toMatchObject({ appointmentId, reason: 'krank', cancelledBy: 'customer', version: 3 });
    expect(await ask({ operation: 'appointment.cancel', companyId, customer: { phone: erika.phone }, appointmentId })).toMatchObject({ ok: true, data: { alreadyCancelled: true } });

    const list = await ask({ operation: 'appointment.list', companyId, customer: { phone: erika.phone }, includePast: true });
    expect((list.data!.appointments as any[]).map((a) => a.status)).toEqual(['cancelled']);
    expect((await ask({ operation: 'appointment.list', companyId, customer: { phone: erika.phone } })).data!.appointments).toEqual([]);
  });

  it('applies the cancellation notice and the reschedule limit', async () => {
    const companyId = await company({ policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24 * 365, maxReschedules: 0, bookingHorizonDays: 60 } });
    const appointmentId = ((await book(companyId, at('10:00'))).data!.appointment as any).appointmentId;
    const denied = await ask({ operation: 'appointment.cancel', companyId, customer: { phone: erika.phone }, appointmentId });
    expect(denied).toMatchObject({ ok: false, code: 'policy_denied', data: { rule: 'cancellation_notice' } });
    expect(await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: erika.phone }, appointmentId, newStart: at('15:00'), idempotencyKey: uniqueName('r') })).toMatchObject({
      ok: false,
      code: 'policy_denied',
    });
    // The business may cancel regardless of the caller's notice period.
    expect(await ask({ operation: 'appointment.cancel', companyId, customer: { phone: erika.phone }, appointmentId, cancelledBy: 'business' })).toMatchObject({ ok: true });
  });

  it('Cal.com down: calendar_unavailable, the breaker opens after five failures, a callback is recorded, and it recovers', async () => {
    const companyId = await company();
    const client = booking.app.get(CalcomClient);
    sim.setFault({ mode: 'down' });
    for (let i = 0; i < 5; i++) {
      expect(client.breakerState).toBe('closed');
      // Different days, so no cached slots answer for Cal.com.
      const reply = await book(companyId, at('10:00', addDays(day, i * 7)));
      expect(reply).toMatchObject({ ok: false, code: 'calendar_unavailable' });
    }
    expect(client.breakerState).toBe('open');
    const before = sim.requests().length;
    expect(await book(companyId, at('10:00', addDays(day, 1)))).toMatchObject({ ok: false, code: 'calendar_unavailable', detail: expect.stringMatching(/circuit_open/) });
    expect(sim.requests().length).toBe(before); // open: Cal.com is not even asked

    const callback = await ask({ operation: 'callback.request', companyId, callId: 'call_down', name: erika.name, phone: erika.phone, wish: 'Beratung Mittwoch 10 Uhr', reason: 'calendar_unavailable' });
    expect(callback).toMatchObject({ ok: true, data: { callbackRequestId: expect.any(String) } });
    const [event] = await waitFor(() => (eventsOf(companyId, 'booking.callback-requested').length ? eventsOf(companyId, 'booking.callback-requested') : null), { message: 'callback event' });
    expect(event.data).toMatchObject({ callbackRequestId: callback.data!.callbackRequestId, callId: 'call_down', phone: erika.phone, reason: 'calendar_unavailable' });

    sim.setFault({ mode: 'normal' });
    await new Promise((r) => setTimeout(r, 1600)); // half-open after 1.5 s
    expect((await book(companyId, at('10:00'))).ok).toBe(true);
    expect(client.breakerState).toBe('closed');
  });
  it('the same callback wish sent again (a retry after a lost reply, or concurrently) is one callback request and one booking.callback-requested', async () => {
    const companyId = await company();
    const wish = (wishId: string, text = 'Termin nächste Woche') => ({
      operation: 'callback.request',
      companyId,
      callId: 'call_retry',
      wishId,
      name: erika.name,
      phone: erika.phone,
      wish: text,
      reason: 'calendar_unavailable',
    });
    const retried = uniqueName('wish');
    const first = await ask(wish(retried));
    expect(first).toMatchObject({ ok: true, data: { callbackRequestId: expect.any(String) } });
    expect(await ask(wish(retried))).toEqual(first);
    const raced = uniqueName('wish');
    const [a, b] = await Promise.all([ask(wish(raced, 'Rückruf wegen Befund')), ask(wish(raced, 'Rückruf wegen Befund'))]);
    expect(a.ok && b.ok).toBe(true);
    expect(b.data!.callbackRequestId).toBe(a.data!.callbackRequestId);
    const other = await ask(wish(uniqueName('wish'), 'ein anderer Wunsch'));

    const ids = [first, a, other].map((r) => r.data!.callbackRequestId as string);
    const published = () => eventsOf(companyId, 'booking.callback-requested').map((e) => e.data.callbackRequestId as string);
    await waitFor(() => ids.every((id) => published().includes(id)), { message: 'the three callback requests published' });
    const listed = await ask({ operation: 'callbacks.list', companyId });
    expect((listed.data!.callbackRequests as { callbackRequestId: string }[]).map((c) => c.callbackRequestId).sort()).toEqual([...ids].sort());
    expect(published().sort()).toEqual([...ids].sort());
  });
});
