import { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { calcomSimulator, retellSimulator, RunningSimulator, startSimulator } from '@receptionist/simulators';
import { ensureTopics } from '@receptionist/messaging';
import { collectMessages, PrivateKafka, testInfra, testKafkaOn, uniqueName, waitFor } from '@receptionist/testing';
import { runCompanyImport } from '../company-import';
import { ROOT, migrateAll, startService, waitReady } from './launch';
import { SERVICES } from './services';

jest.setTimeout(240000);

const PORT_OFFSET = 300; // beside a platform started with npm start and the platform test (200)
const RETELL_KEY = 'key_e2e_retell';
const ADMIN = { email: 'ops@e2e.test', password: 'operator password e2e' };
const CALLER = '+491701112233';
// From deploy/demo/company.yaml, which this test imports as the demo does.
const AGENT = 'agent_demo_schnittpunkt';
const NUMBER = '+493055571234';

/** dd.mm.yyyy of the next Wednesday at least two days ahead (the demo salon opens Tue–Sat). */
function nextWednesday(): string {
  const d = new Date(Date.now() + 2 * 86400000);
  while (d.getUTCDay() !== 3) d.setUTCDate(d.getUTCDate() + 1);
  return `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
}
const berlinTime = (iso: string) => new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

/**
 * The heart of the product, end to end on real processes: the Retell simulator places a call against the
 * gateway (signed as Retell signs); the gateway, voice-agent and booking run as the platform runs them, on
 * Kafka, MariaDB and Redis; Cal.com is its simulator. The company is set up by importing the demo file.
 */
describe('a voice call books, lists, moves and cancels an appointment', () => {
  const prefix = `${uniqueName('t_call')}_`;
  const children: ChildProcess[] = [];
  let calcom: RunningSimulator<any>;
  let retell: RunningSimulator<any>;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  const gatewayUrl = `http://127.0.0.1:${3000 + PORT_OFFSET}`;
  // Its own broker, as the console test: on the shared one, every earlier suite's facts wait in the same consumer
  // groups, and the import's parts were not applied within its wait.
  const kafka = new PrivateKafka();
  const sharedBrokers = process.env.KAFKA_BROKERS;

  beforeAll(async () => {
    await kafka.start();
    await ensureTopics(testKafkaOn(kafka.brokers));
    // the services' KAFKA_BROKERS (tools/platform/launch.ts takes it from this process)
    process.env.KAFKA_BROKERS = kafka.brokers.join(',');
    calcom = await startSimulator(calcomSimulator, { port: 0 });
    retell = await startSimulator(retellSimulator, { port: 0 });
    const opts = {
      databasePrefix: prefix,
      portOffset: PORT_OFFSET,
      logDir: path.join(os.tmpdir(), prefix),
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        CALCOM_BASE_URL: calcom.url,
        CALCOM_API_KEY: 'cal_e2e_test_key', // any cal_ key is valid for the simulator
        RETELLAI_API_KEY: RETELL_KEY,
        RECORDING_URL_HOSTS: 'http://127.0.0.1', // the Retell simulator serves recordings over plain http
        PLATFORM_ADMIN_EMAIL: ADMIN.email,
        PLATFORM_ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_KEY_PREFIX: `rl-${prefix}`,
        PLATFORM_HEALTH_KEY: `hb-${prefix}`,
      },
    };
    await migrateAll(opts);
    for (const s of SERVICES) children.push(startService(s, opts));
    await Promise.all(SERVICES.map((s) => waitReady(`http://127.0.0.1:${s.port + PORT_OFFSET}/health/ready`, 120000)));
    events = await collectMessages(testKafkaOn(kafka.brokers), [Topics.bookingCreated.name, Topics.bookingRescheduled.name, Topics.bookingCancelled.name], { fromBeginning: false });

    const imported = await runCompanyImport({
      file: path.join(ROOT, 'deploy/demo/company.yaml'),
      gatewayUrl,
      email: ADMIN.email,
      password: ADMIN.password,
      waitSeconds: 30,
      print: () => undefined,
    });
    expect(imported.exitCode).toBe(0);
  });

  afterAll(async () => {
    await events?.stop();
    for (const c of children) {
      if (c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
      }
    }
    await calcom?.close();
    await retell?.close();
    await kafka.destroy();
    if (sharedBrokers === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = sharedBrokers;
    const admin = new DataSource({ type: 'mysql', ...testInfra.db });
    await admin.initialize();
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS \`${prefix}${s.database}\``);
    await admin.destroy();
  });

  const placeCall = async (steps: { name: string; args?: Record<string, unknown>; route?: string }[], fromNumber = CALLER) => {
    const res = await fetch(`${retell.url}/__sim/retell/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: AGENT, fromNumber, toNumber: NUMBER, baseUrl: gatewayUrl, apiKey: RETELL_KEY, steps }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { call: { call_id: string }; inbound: any; steps: { name: string; status: number; body: any }[] };
  };
  const eventsOf = (topic: string, callId?: string) =>
    events.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value!.toString())).filter((e) => !callId || e.data.callId === callId);
  const activeBookings = () => [...calcom.state.bookings.values()].filter((b: any) => b.status === 'accepted');

  it('whole scripted call through the gateway’s HTTP routes', async () => {
    const day = nextWednesday();
    const placed = await placeCall([
      { name: 'initialize_call', route: '/api/retell/initialize-call' },
      { name: 'check_availability', route: '/api/retell/check-availability', args: { dienstleistung: 'Herrenschnitt', datum: day, uhrzeit: '11:00' } },
      { name: 'collect_appointment', route: '/api/retell/collect-appointment', args: { name: 'Max Mustermann', email: 'max@example.com', dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '11:00' } },
      { name: 'book_appointment', route: '/api/retell/book-appointment', args: { name: 'Max Mustermann', dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '11:00' } },
      { name: 'get_customer_appointments', route: '/api/retell/get-customer-appointments' },
      { name: 'reschedule_appointment', route: '/api/retell/reschedule-appointment', args: { appointment_id: '{{steps.3.data.appointmentId}}', new_datum: day, new_uhrzeit: '14:00' } },
      { name: 'cancel_appointment_v17', args: { appointment_id: '{{steps.3.data.appointmentId}}', reason: 'Termin passt doch nicht' } },
    ]);
    const callId = placed.call.call_id;
    const [init, check, collect, book, list, move, cancel] = placed.steps;

    // The phone rang: the inbound webhook gave the agent the company, the date and the caller's number.
    expect(placed.inbound.status).toBe(200);
    expect(placed.inbound.body.call_inbound.dynamic_variables).toMatchObject({ company_name: 'Salon Schnittpunkt', customer_phone: CALLER });
    for (const step of placed.steps) expect(step.status).toBe(200);
    expect(init.body.success).toBe(true);

    expect(check.body).toMatchObject({ success: true, data: { available: true, serviceName: 'Haarschnitt' } });
    expect(check.body.message).toMatch(/11:00 Uhr/);
    expect(collect.body.success).toBe(true);
    expect(book.body).toMatchObject({ success: true, data: { booked: true, serviceName: 'Haarschnitt' } });
    const appointmentId = book.body.data.appointmentId;
    expect(appointmentId).toBeTruthy();

    // The booking exists in Cal.com (the simulator), at 11:00 Berlin time, under the caller's name.
    await waitFor(() => eventsOf(Topics.bookingCreated.name, callId).length === 1, { timeoutMs: 10000, message: 'booking.created' });
    const created = eventsOf(Topics.bookingCreated.name, callId)[0];
    expect(created.data).toMatchObject({ appointmentId, serviceName: 'Haarschnitt', customer: { name: 'Max Mustermann', phone: CALLER } });
    expect(berlinTime(created.data.startsAt)).toBe('11:00');

    expect(list.body).toMatchObject({ success: true, data: { appointments: [{ appointmentId }] } });
    expect(move.body).toMatchObject({ success: true, data: { rescheduled: true } });
    expect(cancel.body).toMatchObject({ success: true, data: { cancelled: true } });

    await waitFor(() => eventsOf(Topics.bookingRescheduled.name).some((e) => e.data.appointmentId === appointmentId), { timeoutMs: 10000, message: 'booking.rescheduled' });
    await waitFor(() => eventsOf(Topics.bookingCancelled.name).some((e) => e.data.appointmentId === appointmentId), { timeoutMs: 10000, message: 'booking.cancelled' });
    const moved = eventsOf(Topics.bookingRescheduled.name).find((e) => e.data.appointmentId === appointmentId);
    expect(berlinTime(moved.data.startsAt)).toBe('14:00');
    expect(berlinTime(moved.data.previousStartsAt)).toBe('11:00');
    // Every booking made in Cal.com for this caller has been moved and then cancelled: nothing left active.
    expect(activeBookings().filter((b: any) => JSON.stringify(b).includes('Max Mustermann'))).toHaveLength(0);
    expect(eventsOf(Topics.bookingCreated.name).filter((e) => e.data.appointmentId === appointmentId)).toHaveLength(1);
  });

  it('another caller cannot see or cancel that caller’s appointments', async () => {
    const day = nextWednesday();
    const first = await placeCall([{ name: 'book_appointment', args: { name: 'Erika Muster', dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '16:00' } }]);
    const appointmentId = first.steps[0].body.data?.appointmentId;
    expect(first.steps[0].body).toMatchObject({ success: true, data: { booked: true } });
    const stranger = await placeCall(
      [{ name: 'get_customer_appointments' }, { name: 'cancel_appointment', args: { appointment_id: appointmentId } }],
      '+491709998877',
    );
    expect(stranger.steps[0].body.data.appointments).toEqual([]);
    expect(stranger.steps[1].body).toMatchObject({ success: false, code: 'not_found' });
    expect(activeBookings().some((b: any) => JSON.stringify(b).includes('Erika Muster'))).toBe(true);
  });
});
