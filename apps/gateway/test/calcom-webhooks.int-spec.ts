import { createHmac } from 'node:crypto';
import { BookingReply, Topics } from '@receptionist/contracts';
import type { MessageProducer } from '@receptionist/messaging';
import { CalcomState, DEFAULT_EVENT_TYPES, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
// Booking owns appointments: the real one applies the changes Cal.com reports.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequester, TestBooking, startBooking, startBookingRequester } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';

/**
 * Cal.com → platform, end to end: the Cal.com simulator sends its signed webhooks to the gateway's
 * `POST /api/calcom/webhook`; the gateway verifies and forwards them over Kafka; booking applies a cancellation or a
 * move made in Cal.com itself to our appointment and tells everyone (`booking.cancelled` / `booking.rescheduled`),
 * while the echoes of our own changes change nothing.
 */
jest.setTimeout(120_000);

const SECRET = 'calcom_webhook_test_secret';
const TZ = 'Europe/Berlin';
const prefix = uniqueName('cw');

let gw: TestGateway;
let sim: RunningSimulator<CalcomState>;
let booking: TestBooking;
let requester: BookingRequester;
let producer: MessageProducer;
let events: Awaited<ReturnType<typeof collectMessages>>;
let n = 0;

const day = wednesdayAhead();
const at = (hhmm: string) => berlinAt(day, hhmm);
const erika = { name: 'Erika Mustermann', phone: '+4915112345678', email: null, language: 'de' };

const ask = (r: Record<string, unknown>): Promise<BookingReply> => requester.ask({ callId: null, ...r } as never);
const eventsOf = (companyId: string, type: string) => events.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === companyId && e.type === type);
const changesFor = (uid: string) => events.messages.filter((m) => m.topic === Topics.calcomBookingChanged.name).map((m) => JSON.parse(m.value!.toString())).filter((e) => e.data.calcomBookingUid === uid);
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');
const post = (body: string, signature?: string) =>
  fetch(`${gw.url}/api/calcom/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', ...(signature ? { 'x-cal-signature-256': signature } : {}) }, body });
/** What the business does in Cal.com's own UI, through the simulator's API. */
const calcomApi = (path: string, body: unknown) =>
  fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'cal-api-version': '2024-08-13', authorization: 'Bearer cal_test_calcom_webhooks' }, body: JSON.stringify(body) });

async function company(): Promise<string> {
  const companyId = `${prefix}-${++n}`;
  await sendSetup(producer, setupDoc(companyId));
  await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${companyId}` });
  return companyId;
}
/** One more Cal.com event type beside the simulator's defaults (seeding clears the simulator's bookings). */
function seedCalendar(eventTypeId: number, title: string) {
  sim.state.seed({ eventTypes: [...DEFAULT_EVENT_TYPES, { ...DEFAULT_EVENT_TYPES[0], id: eventTypeId, slug: `cal-${eventTypeId}`, title }] });
}
/** A company whose one service books in that calendar; Anna is the simulator's Cal.com host (user 1). */
async function companyWithCalendar(eventTypeId: number): Promise<string> {
  const companyId = `${prefix}-${++n}`;
  const doc = setupDoc(companyId);
  await sendSetup(producer, {
    ...doc,
    services: [{ ...doc.services[0], key: 'online', name: 'Online-Beratung', calcomEventTypeId: eventTypeId }],
    staff: [{ key: 'anna', name: 'Anna Berger', calcomUserId: 1, serviceKeys: ['online'] }],
  });
  await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${companyId}` });
  return companyId;
}
async function book(companyId: string, start: string) {
  const reply = await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: erika, idempotencyKey: uniqueName('key') });
  expect(reply.ok).toBe(true);
  return reply.data!.appointment as { appointmentId: string; calcomBookingUid: string };
}
const appointmentOf = async (companyId: string, appointmentId: string) => {
  const list = await ask({ operation: 'appointment.list', companyId, customer: { phone: erika.phone }, includePast: true });
  return (list.data!.appointments as { appointmentId: string; status: string; startsAt: string; calcomBookingUid: string; rescheduledCount: number }[]).find((a) => a.appointmentId === appointmentId);
};

beforeAll(async () => {
  gw = await startGateway({ CALCOM_WEBHOOK_SECRET: `old_secret_being_rotated,${SECRET}` });
  process.env.SIM_CALCOM_WEBHOOK_URL = `${gw.url}/api/calcom/webhook`;
  process.env.SIM_CALCOM_WEBHOOK_SECRET = SECRET;
  sim = await startSimulator(calcomSimulator, { port: 0 });
  delete process.env.SIM_CALCOM_WEBHOOK_URL;
  delete process.env.SIM_CALCOM_WEBHOOK_SECRET;
  events = await collectMessages(testKafka(), [Topics.calcomBookingChanged.name, Topics.bookingCreated.name, Topics.bookingCancelled.name, Topics.bookingRescheduled.name], { fromBeginning: false });
  booking = await startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_calcom_webhooks', CALCOM_TEAM_SLUG: 'demo-praxis' }, { companies: [`${prefix}*`] });
  requester = await startBookingRequester();
  producer = await startProducer();
});

afterAll(async () => {
  await producer?.disconnect();
  await requester?.stop();
  await booking?.close();
  await events?.stop();
  await sim?.close();
  await gw?.close();
});

describe('Cal.com webhooks', () => {
  it('refuses a missing or wrong signature (401) and a malformed event (400 naming the field), forwarding nothing', async () => {
    const body = JSON.stringify({ triggerEvent: 'BOOKING_CANCELLED', createdAt: new Date().toISOString(), payload: { uid: 'forged-uid', eventTypeId: 1001 } });
    expect((await post(body)).status).toBe(401);
    expect((await post(body, sign(body, 'not the secret'))).status).toBe(401);
    expect((await post(body, sign(body + ' '))).status).toBe(401);
    expect((await post(body, 'no-secret-provided')).status).toBe(401);
    const noUid = JSON.stringify({ triggerEvent: 'BOOKING_CANCELLED', payload: { eventTypeId: 1001 } });
    const res = await post(noUid, sign(noUid));
    expect([res.status, ((await res.json()) as { field: string }).field]).toEqual([400, 'payload.uid']);
    const ping = JSON.stringify({ triggerEvent: 'PING', createdAt: new Date().toISOString(), payload: {} });
    const pong = await post(ping, sign(ping));
    expect([pong.status, await pong.json()]).toEqual([200, { received: true, status: 'ignored' }]);
    // A signed event under the old secret still counts while rotating.
    const marker = JSON.stringify({ triggerEvent: 'BOOKING_CREATED', createdAt: new Date().toISOString(), payload: { uid: 'marker-uid', eventTypeId: 1001 } });
    expect((await post(marker, sign(marker, 'old_secret_being_rotated'))).status).toBe(200);
    await waitFor(() => changesFor('marker-uid').length === 1, { message: 'marker forwarded' });
    expect(changesFor('forged-uid')).toHaveLength(0);
  });

  it('applies a cancellation made in Cal.com to our appointment once, as the business, and ignores our own echo', async () => {
    const companyId = await company();
    const ours = await book(companyId, at('09:00'));
    // Our own booking's BOOKING_CREATED comes back and changes nothing.
    await waitFor(() => changesFor(ours.calcomBookingUid).length === 1, { message: 'BOOKING_CREATED echo' });

    const res = await calcomApi(`/v2/bookings/${ours.calcomBookingUid}/cancel`, { cancellationReason: 'Praxis geschlossen' });
    expect(res.status).toBe(200);
    const [cancelled] = await waitFor(() => (eventsOf(companyId, Topics.bookingCancelled.name).length ? eventsOf(companyId, Topics.bookingCancelled.name) : null), { message: 'booking.cancelled' });
    expect(cancelled.data).toMatchObject({ appointmentId: ours.appointmentId, calcomBookingUid: ours.calcomBookingUid, reason: 'Praxis geschlossen', cancelledBy: 'business', customer: { phone: erika.phone } });
    expect(await appointmentOf(companyId, ours.appointmentId)).toMatchObject({ status: 'cancelled' });

    // Cal.com delivers the same webhook again: still one cancellation.
    const delivery = sim.state.deliveries.find((d) => d.triggerEvent === 'BOOKING_CANCELLED' && d.body.includes(ours.calcomBookingUid))!;
    expect((await post(delivery.body, delivery.signature)).status).toBe(200);
    await waitFor(() => changesFor(ours.calcomBookingUid).length === 3, { message: 'redelivery forwarded' });

    // Our own cancellation (through the agent) is told once, though Cal.com echoes it.
    const second = await book(companyId, at('10:00'));
    const own = await ask({ operation: 'appointment.cancel', companyId, customer: { phone: erika.phone }, appointmentId: second.appointmentId, reason: 'krank' });
    expect(own.ok).toBe(true);
    await waitFor(() => changesFor(second.calcomBookingUid).some((e) => e.data.trigger === 'BOOKING_CANCELLED'), { message: 'echo of our cancellation' });
    await new Promise((r) => setTimeout(r, 1000)); // booking has consumed the echo by now
    expect(eventsOf(companyId, Topics.bookingCancelled.name).map((e) => [e.data.appointmentId, e.data.cancelledBy])).toEqual([
      [ours.appointmentId, 'business'],
      [second.appointmentId, 'customer'],
    ]);
  });

  it('applies a move made in Cal.com (new uid, new time) without counting it against the customer, and our own move once', async () => {
    const companyId = await company();
    const ours = await book(companyId, at('13:00'));
    const res = await calcomApi(`/v2/bookings/${ours.calcomBookingUid}/reschedule`, { start: at('16:00'), rescheduledBy: 'empfang@praxis.example' });
    expect(res.status).toBe(201);
    const newUid = ((await res.json()) as { data: { uid: string } }).data.uid;
    const [moved] = await waitFor(() => (eventsOf(companyId, Topics.bookingRescheduled.name).length ? eventsOf(companyId, Topics.bookingRescheduled.name) : null), { message: 'booking.rescheduled' });
    expect(moved.data).toMatchObject({ appointmentId: ours.appointmentId, calcomBookingUid: newUid });
    expect(Date.parse(moved.data.startsAt)).toBe(Date.parse(at('16:00')));
    expect(Date.parse(moved.data.previousStartsAt)).toBe(Date.parse(at('13:00')));
    const after = await appointmentOf(companyId, ours.appointmentId);
    expect(after).toMatchObject({ status: 'booked', calcomBookingUid: newUid, rescheduledCount: 0 });
    expect(Date.parse(after!.startsAt)).toBe(Date.parse(at('16:00')));

    // The customer then moves it themselves: one more booking.rescheduled, not two (Cal.com's echo changes nothing).
    const own = await ask({ operation: 'appointment.reschedule', companyId, customer: { phone: erika.phone }, appointmentId: ours.appointmentId, newStart: at('14:00'), idempotencyKey: uniqueName('move') });
    expect(own).toMatchObject({ ok: true, data: { appointment: { rescheduledCount: 1 } } });
    const ownUid = (own.data!.appointment as { calcomBookingUid: string }).calcomBookingUid;
    await waitFor(() => changesFor(ownUid).some((e) => e.data.trigger === 'BOOKING_RESCHEDULED'), { message: 'echo of our move' });
    // A late redelivery of the first move (its uid is no longer the appointment's) changes nothing either.
    const first = sim.state.deliveries.find((d) => d.triggerEvent === 'BOOKING_RESCHEDULED' && d.body.includes(newUid))!;
    expect((await post(first.body, first.signature)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    expect(eventsOf(companyId, Topics.bookingRescheduled.name)).toHaveLength(2);
    const final = await appointmentOf(companyId, ours.appointmentId);
    expect(final).toMatchObject({ calcomBookingUid: ownUid, rescheduledCount: 1 });
    expect(Date.parse(final!.startsAt)).toBe(Date.parse(at('14:00')));
  });

  it("changes nothing for a booking in a calendar that is not only one company's", async () => {
    // A calendar two companies' services share (seeded here, so no other deployment on this broker knows it either).
    const eventTypeId = 8000 + Math.floor(Math.random() * 1000);
    seedCalendar(eventTypeId, 'Gemeinsame Beratung');
    const [first, second] = [await companyWithCalendar(eventTypeId), await companyWithCalendar(eventTypeId)];
    const res = await calcomApi('/v2/bookings', { eventTypeId, start: at('11:00'), attendee: { name: 'Walk In', email: 'walk@example.com', timeZone: TZ } });
    expect(res.status).toBe(201);
    const uid = ((await res.json()) as { data: { uid: string } }).data.uid;
    expect((await calcomApi(`/v2/bookings/${uid}/cancel`, { cancellationReason: 'x' })).status).toBe(200);
    await waitFor(() => changesFor(uid).length === 2, { message: 'created and cancelled forwarded' });
    await new Promise((r) => setTimeout(r, 1000));
    for (const companyId of [first, second]) {
      expect(eventsOf(companyId, Topics.bookingCreated.name)).toHaveLength(0);
      expect(eventsOf(companyId, Topics.bookingCancelled.name)).toHaveLength(0);
    }
  });

  it("imports a booking made on Cal.com's own page as the company's appointment, once, which the caller can then cancel", async () => {
    // A calendar only this company uses (the others above share 1001 and 1002).
    const eventTypeId = 7000 + Math.floor(Math.random() * 1000);
    seedCalendar(eventTypeId, 'Online-Beratung');
    const companyId = await companyWithCalendar(eventTypeId);

    const phone = '+4915199887766';
    const res = await calcomApi('/v2/bookings', { eventTypeId, start: at('10:30'), attendee: { name: 'Olga Online', email: 'olga@example.com', timeZone: TZ, phoneNumber: phone, language: 'de' } });
    expect(res.status).toBe(201);
    const uid = ((await res.json()) as { data: { uid: string } }).data.uid;
    const [created] = await waitFor(() => (eventsOf(companyId, Topics.bookingCreated.name).length ? eventsOf(companyId, Topics.bookingCreated.name) : null), { message: 'booking.created' });
    expect(created.data).toMatchObject({ calcomBookingUid: uid, serviceName: 'Online-Beratung', callId: null, customer: { name: 'Olga Online', phone, email: 'olga@example.com', language: 'de' } });
    expect(Date.parse(created.data.startsAt)).toBe(Date.parse(at('10:30')));
    // Held by the Cal.com host who is the company's Anna.
    const catalogue = await ask({ operation: 'catalogue.get', companyId });
    const anna = (catalogue.data!.catalogue as { staff: { staffId: string; name: string }[] }).staff.find((s) => s.name === 'Anna Berger')!;
    expect(created.data.staffId).toBe(anna.staffId);

    // Cal.com delivers it again: still one appointment.
    const delivery = sim.state.deliveries.find((d) => d.triggerEvent === 'BOOKING_CREATED' && d.body.includes(uid))!;
    expect((await post(delivery.body, delivery.signature)).status).toBe(200);
    await waitFor(() => changesFor(uid).length === 2, { message: 'redelivery forwarded' });
    await new Promise((r) => setTimeout(r, 1000));
    expect(eventsOf(companyId, Topics.bookingCreated.name)).toHaveLength(1);

    // The customer calls from that number: the agent finds the appointment and cancels it, in Cal.com too.
    const list = await ask({ operation: 'appointment.list', companyId, customer: { phone } });
    const appointments = list.data!.appointments as { appointmentId: string; calcomBookingUid: string }[];
    expect(appointments.map((a) => a.calcomBookingUid)).toEqual([uid]);
    const cancelled = await ask({ operation: 'appointment.cancel', companyId, customer: { phone }, appointmentId: appointments[0].appointmentId, reason: 'verhindert' });
    expect(cancelled.ok).toBe(true);
    expect(sim.state.bookings.get(uid)?.status).toBe('cancelled');
  });
});
