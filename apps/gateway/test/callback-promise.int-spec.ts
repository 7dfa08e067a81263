import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { MessageProducer, createKafka, ensureTopics } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { PrivateKafka, collectMessages, silentLogger, testInfra, testKafkaOn, uniqueName, waitFor } from '@receptionist/testing';
// The whole chain over HTTP and Kafka: Retell's tool call → gateway → voice-agent → booking. Tests only; apps never
// import each other.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TestBooking, startBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sendSetup, setupDoc } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TestVoiceAgent, startVoiceAgent } from '../../voice-agent/test/voice-agent-app';
import { signRetell } from '../src/retell/retell-signature';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(240_000);

const ADMIN = { email: 'ops@promise.test', password: 'operator password 123' };
const API_KEY = 'key_callback_promise_test';

/**
 * The spoken fallback ("we'll call you back") when no answer comes within the gateway's deadline: the promise is
 * written through the gateway's outbox and booking records it as a callback request with the caller's number, once,
 * also when voice-agent later answers the same request (Retell's retry of the tool call) and records its own wish.
 * On a broker of the test's own: on the shared one, any voice-agent without a company filter (a whole platform
 * started by another suite) would answer, and "nobody answers" could not be made for real.
 */
describe('the gateway keeps the callback its fallback promises', () => {
  let kafka: PrivateKafka;
  let calcom: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent | undefined;
  let producer: MessageProducer;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  let bookingDb: DataSource;
  let companyId: string;
  const agentId = uniqueName('agent_promise');
  const onPrivateKafka = () => ({ KAFKA_BROKERS: kafka.brokers.join(',') });
  const number = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;

  beforeAll(async () => {
    kafka = new PrivateKafka();
    await kafka.start();
    await ensureTopics(createKafka({ brokers: kafka.brokers, clientId: 'callback-promise-test', logger: silentLogger }));
    calcom = await startSimulator(calcomSimulator, { port: 0 });
    gw = await startGateway({ ...onPrivateKafka(), PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: API_KEY, VOICE_FUNCTION_DEADLINE_MS: '1500' });
    const admin = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    companyId = (await gw.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Praxis Rückruf', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } })).body.id;
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/agents`, { token: admin, body: { agentId } })).status).toBe(201);
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: admin, body: { number } })).status).toBe(201);

    events = await collectMessages(testKafkaOn(kafka.brokers), [Topics.callbackRequested.name]);
    booking = await startBooking(
      { ...onPrivateKafka(), CALCOM_BASE_URL: calcom.url, CALCOM_API_KEY: 'cal_test_promise', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '300', CALCOM_RETRY_BASE_DELAY_MS: '10' },
      { companies: [companyId] },
    );
    bookingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await bookingDb.initialize();
    producer = new MessageProducer(testKafkaOn(kafka.brokers));
    await producer.connect();
    await sendSetup(producer, setupDoc(companyId));
    await waitFor(async () => (await bookingDb.query('SELECT 1 FROM service WHERE company_id = ?', [companyId])).length > 0, { message: 'booking set up' });
  });

  afterAll(async () => {
    await bookingDb?.destroy();
    await producer?.disconnect();
    await voice?.close();
    await booking?.close();
    await events?.stop();
    await gw?.close();
    await calcom?.close();
    await kafka?.destroy();
  });

  const callbackRequests = (): Promise<{ id: string; wishId: string; phone: string; callId: string; wish: string; status: string }[]> =>
    bookingDb.query('SELECT id, wish_id AS wishId, phone, call_id AS callId, wish, status FROM callback_request WHERE company_id = ?', [companyId]);
  const toolCall = (raw: string) =>
    fetch(`${gw.url}/api/webhooks/retell/function`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, API_KEY) }, body: raw }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as { success: boolean; code?: string; message: string; data?: Record<string, unknown> } }),
    );
  const published = () => events.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === companyId);

  it('no answer in time: exactly one callback request with the caller’s number, also when the late answer records the same wish', async () => {
    const callId = uniqueName('call_promise');
    const raw = JSON.stringify({
      name: 'check_availability',
      call: { call_id: callId, agent_id: agentId, from_number: '+49 170 7654321', to_number: number },
      args: { dienstleistung: 'Beratung', datum: 'nächsten Mittwoch', uhrzeit: '10 Uhr' },
    });

    // Nobody answers this company's voice functions yet: the deadline passes and the caller hears the promise.
    const fallback = await toolCall(raw);
    expect(fallback).toMatchObject({ status: 200, body: { success: false, code: 'timeout' } });
    expect(fallback.body.message).toMatch(/rufen Sie .* zurück/);
    const recorded = await waitFor(async () => ((await callbackRequests()).length ? callbackRequests() : null), { message: 'the promised callback recorded in booking' });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ phone: '+491707654321', callId, status: 'open' });
    expect(recorded[0].wish).toMatch(/^check_availability \(no answer in time\).*dienstleistung: Beratung/);
    expect(fallback.body.data).toEqual({ callbackRecorded: true });

    // Now voice-agent is there, the calendar is down, and Retell retries the same tool call: voice-agent answers
    // with its own "we'll call you back" and records the wish for the same request.
    calcom.setFault({ mode: 'down' });
    voice = await startVoiceAgent(onPrivateKafka(), { companies: [companyId] });
    const answered = await toolCall(raw);
    expect(answered.status).toBe(200);
    expect(answered.body.success).toBe(false);
    const voiceDb = new DataSource({ type: 'mysql', ...testInfra.db, database: voice.database, timezone: 'Z' });
    await voiceDb.initialize();
    try {
      const [wish] = await waitFor(
        async () => {
          const rows: { id: string; deliveredAt: Date | null }[] = await voiceDb.query('SELECT id, delivered_at AS deliveredAt FROM callback_wish WHERE company_id = ?', [companyId]);
          return rows.length && rows.every((r) => r.deliveredAt) ? rows : null;
        },
        { message: 'voice-agent handed its wish to booking' },
      );
      expect(answered.body).toMatchObject({ code: 'calendar_unavailable', data: { callbackRecorded: true, callbackWishId: wish.id } });
      // One wish, one callback request, one booking.callback-requested.
      expect((await callbackRequests()).map((r) => [r.id, r.wishId, r.phone])).toEqual([[recorded[0].id, wish.id, '+491707654321']]);
      await waitFor(() => published().length >= 1, { message: 'booking.callback-requested' });
      expect(published().map((e) => e.data.callbackRequestId)).toEqual([recorded[0].id]);
    } finally {
      await voiceDb.destroy();
    }
  });

  it('without the caller’s number nothing can be promised: the caller is asked to call again', async () => {
    const raw = JSON.stringify({ name: 'check_availability', call: { call_id: uniqueName('call_anon'), agent_id: agentId, to_number: number }, args: { dienstleistung: 'Beratung' } });
    await voice?.close();
    voice = undefined;
    const res = await toolCall(raw);
    expect(res.body).toMatchObject({ success: false, code: 'timeout', data: { callbackRecorded: false } });
    expect(res.body.message).toBe('Entschuldigung, ich kann das gerade nicht nachsehen. Bitte rufen Sie später noch einmal an.');
  });
});
