import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
import { startNotification, TestNotification, TestPublisher } from './notification-app';

jest.setTimeout(90_000);

/**
 * booking.created, .rescheduled and .cancelled are three topics, consumed concurrently: a fact can arrive after a
 * newer one, and a producer retry or a replay can bring an old one again. Whatever the order, a cancelled
 * appointment is never confirmed or reminded of, and an older reschedule never replaces a newer one.
 */
describe('notification: booking facts out of order (Kafka, MariaDB, Twilio simulator)', () => {
  const prefix = uniqueName('nbo');
  let sim: RunningSimulator<TwilioState>;
  let service: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    service = await startNotification({ TWILIO_API_BASE: sim.url }, { companies: [`${prefix}*`] });
    publisher = await new TestPublisher().start();
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: service.database, timezone: 'Z' });
    await db.initialize();
  });

  afterAll(async () => {
    await publisher?.stop();
    await db?.destroy();
    await service?.close();
    await sim?.close();
  });

  let n = 0;
  const phone = () => `+4917${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  const sentTo = (to: string) => sim.state.outbound().filter((m) => m.to === to);
  const rows = (appointmentId: string): Promise<{ kind: string; status: string; startsAt: Date }[]> =>
    db.query('SELECT kind, status, appointment_starts_at AS startsAt FROM notification_message WHERE appointment_id = ? ORDER BY created_at', [appointmentId]);

  async function company(remindersMinutesBefore: number[]): Promise<string> {
    const companyId = `${prefix}-c${++n}`;
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
      companyId,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language: 'de',
      settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore, senderId: null, quietHours: null },
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_notification_settings WHERE company_id = ? AND revision = ?', [companyId, revision])).length > 0, {
      message: 'settings',
    });
    return companyId;
  }

  function appointment(companyId: string, to: string, startsAt: Date) {
    return {
      appointmentId: `${companyId}-a-${randomUUID().slice(0, 8)}`,
      calcomBookingUid: null,
      serviceId: 'svc-1',
      serviceName: 'Herrenschnitt',
      staffId: null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
      timeZone: 'Europe/Berlin',
      customer: { customerId: 'cust-1', name: 'Max Muster', phone: to, email: null, language: 'de' },
      callId: null,
      version: 1,
    };
  }
  const cancelled = (a: ReturnType<typeof appointment>, version: number) => ({ ...a, version, reason: null, cancelledBy: 'customer' as const });
  const moved = (a: ReturnType<typeof appointment>, to: Date, version: number) => ({
    ...a,
    version,
    startsAt: to.toISOString(),
    endsAt: new Date(to.getTime() + 30 * 60_000).toISOString(),
    previousStartsAt: a.startsAt,
    previousEndsAt: a.endsAt,
  });

  it('cancelled before created, and created again after cancelled: no confirmation and no reminder reach Twilio', async () => {
    // 5-minute reminders of appointments starting in 5 min 3 s: due 3 s from now, so a wrongly kept one is sent.
    const companyId = await company([5]);
    const soon = () => new Date(Date.now() + 5 * 60_000 + 3_000);

    // 1. The cancellation overtakes the booking.
    const first = appointment(companyId, phone(), soon());
    await publisher.publish(Topics.bookingCancelled.name, first.appointmentId, companyId, cancelled(first, 2));
    await publisher.publish(Topics.bookingCreated.name, first.appointmentId, companyId, first);

    // 2. In order, then booking.created once more under a new id (a producer retry, a replay).
    const second = appointment(companyId, phone(), soon());
    await publisher.publish(Topics.bookingCreated.name, second.appointmentId, companyId, second);
    await waitFor(() => sentTo(second.customer.phone).length === 1, { message: 'confirmation of the second' });
    await publisher.publish(Topics.bookingCancelled.name, second.appointmentId, companyId, cancelled(second, 2));
    await waitFor(() => sentTo(second.customer.phone).length === 2, { message: 'cancellation notice of the second' });
    await publisher.publish(Topics.bookingCreated.name, second.appointmentId, companyId, second);

    // A marker appointment booked after all that: once its reminder is sent, any reminder kept above was due too.
    const marker = appointment(companyId, phone(), soon());
    await publisher.publish(Topics.bookingCreated.name, marker.appointmentId, companyId, marker);
    await waitFor(() => sentTo(marker.customer.phone).some((m) => m.body.startsWith('Erinnerung')), { timeoutMs: 30_000, message: 'marker reminder' });
    await waitFor(async () => (await rows(first.appointmentId)).every((r) => r.status !== 'scheduled' && r.status !== 'claimed'), { message: 'first settled' });

    const bodies = (to: string) => sentTo(to).map((m) => m.body);
    expect(bodies(first.customer.phone)).toEqual([expect.stringContaining('wurde storniert')]);
    expect((await rows(first.appointmentId)).map((r) => r.kind)).toEqual(['cancellation']);
    expect(bodies(second.customer.phone)).toEqual([expect.stringContaining('ist bestätigt'), expect.stringContaining('wurde storniert')]);
    expect((await rows(second.appointmentId)).map((r) => r.kind).sort()).toEqual(['cancellation', 'confirmation']);
  });

  it('a reschedule older than the state applied changes nothing: no notice, the reminders stay at the newer time', async () => {
    const companyId = await company([1440]);
    const to = phone();
    const day = (d: number, hour: number) => new Date(Date.UTC(2030, 0, d, hour));
    const a = appointment(companyId, to, day(7, 9));
    await publisher.publish(Topics.bookingCreated.name, a.appointmentId, companyId, a);
    await publisher.publish(Topics.bookingRescheduled.name, a.appointmentId, companyId, moved(a, day(9, 9), 3));
    await waitFor(async () => (await rows(a.appointmentId)).some((r) => r.kind === 'reschedule'), { message: 'newest reschedule applied' });
    // The move to the 8th (version 2) arrives last.
    await publisher.publish(Topics.bookingRescheduled.name, a.appointmentId, companyId, moved(a, day(8, 9), 2));
    const marker = appointment(companyId, to, day(10, 9));
    await publisher.publish(Topics.bookingCreated.name, marker.appointmentId, companyId, marker);
    await waitFor(async () => (await rows(marker.appointmentId)).length === 2, { message: 'marker applied' });
    await waitFor(() => sentTo(to).length === 3, { message: 'confirmation, reschedule notice, marker confirmation sent' });

    const stored = await rows(a.appointmentId);
    expect(stored.filter((r) => r.kind === 'reschedule').map((r) => new Date(r.startsAt).toISOString())).toEqual([day(9, 9).toISOString()]);
    expect(stored.filter((r) => r.kind === 'reminder').map((r) => [r.status, new Date(r.startsAt).toISOString()])).toEqual([['scheduled', day(9, 9).toISOString()]]);
    expect(sentTo(to).filter((m) => m.body.includes('wurde auf'))).toHaveLength(1);
  });
});
