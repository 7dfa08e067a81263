import type { Kafka } from 'kafkajs';
import { Topics } from '@receptionist/contracts';
import { RequestClient, createKafka, ensureTopics } from '@receptionist/messaging';
import { PrivateKafka, silentLogger, uniqueName, waitFor } from '@receptionist/testing';
import { startBooking, TestBooking } from './booking-app';

jest.setTimeout(300_000);

/**
 * Issue 13, defect 0, with the real service: booking booked in-process against a Kafka broker of the test's own,
 * stopped for 20 s under a stream of booking.request. Readiness drops while the broker is away, and within seconds
 * of its return booking answers again and reports ready, without a restart by hand.
 */
it('booking answers booking.request again and is ready after the broker was stopped for 20 s', async () => {
  const broker = new PrivateKafka();
  await broker.start();
  let booking: TestBooking | undefined;
  let client: RequestClient | undefined;
  let streaming = true;
  let stream: Promise<void> | undefined;
  try {
    const kafka: Kafka = createKafka({ brokers: broker.brokers, clientId: uniqueName('outage'), logger: silentLogger });
    await ensureTopics(kafka);
    booking = await startBooking({ KAFKA_BROKERS: broker.brokers.join(',') });
    client = new RequestClient(kafka, { service: 'voice-test', instanceId: uniqueName('i'), logger: silentLogger });
    await client.start();
    const ready = async () => (await fetch(`${booking!.url}/health/ready`).catch(() => null))?.status === 200;
    // An invalid request still gets booking's answer: what matters is that its responder answers at all.
    const ask = () =>
      client!.request<unknown, { ok: boolean; code?: string }>(Topics.bookingRequest.name, { key: 'c', companyId: null, subject: null, data: {} }, 3000);
    await waitFor(ready, { timeoutMs: 60_000, message: 'booking ready' });
    expect(await ask()).toMatchObject({ ok: false, code: 'invalid_request' });

    stream = (async () => {
      while (streaming) {
        await ask().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await broker.stop();
    await waitFor(async () => !(await ready()), { timeoutMs: 30_000, intervalMs: 500, message: 'readiness false while the broker is away' });
    await new Promise((r) => setTimeout(r, 20_000));
    await broker.start();
    await waitFor(async () => (await ask().catch(() => null))?.code === 'invalid_request', { timeoutMs: 60_000, intervalMs: 500, message: 'an answer after the outage' });
    await waitFor(ready, { timeoutMs: 60_000, intervalMs: 500, message: 'booking ready again' });
  } finally {
    streaming = false;
    await stream;
    await client?.stop().catch(() => undefined);
    await booking?.close();
    await broker.destroy();
  }
});
