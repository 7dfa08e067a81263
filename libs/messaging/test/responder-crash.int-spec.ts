import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { RequestClient, RequestResponder } from '../src';
import { createTopics, deleteTopics, silentLogger, testInfra, testKafka, uniqueName } from '@receptionist/testing';

jest.setTimeout(120_000);

/**
 * Issue 13, defect 15: the responder committed the offsets of requests still in flight, so a kill -9 lost them. Now
 * only offsets below the oldest request in flight are committed: the next member reads it again and answers.
 */
it('answers a request that was in flight when its responder was killed -9, although later ones were answered and committed', async () => {
  const kafka: Kafka = testKafka();
  const topic = uniqueName('test.inflight').replace('_', '-');
  const group = uniqueName('responders');
  await createTopics(kafka, [{ topic, numPartitions: 1 }]);
  const client = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('i'), logger: silentLogger, deleteReplyTopicOnStop: true });
  await client.start();
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'fixtures/stuck-responder.ts')], {
    env: { ...process.env, KAFKA_BROKERS: testInfra.kafkaBrokers.join(','), GROUP: group, TOPIC: topic },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let second: RequestResponder | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => String(chunk).includes('ready') && resolve());
      void exited.then(() => reject(new Error('responder process exited before it was ready')));
    });
    type Reply = { n: number; by: string };
    const ask = (data: { n: number; stuck?: boolean }) => client.request<typeof data, Reply>(topic, { key: 'one-partition', companyId: null, subject: null, data }, 90_000);
    const inFlight = ask({ n: 1, stuck: true });
    expect(await ask({ n: 2 })).toEqual({ n: 2, by: 'first' });
    expect(await ask({ n: 3 })).toEqual({ n: 3, by: 'first' });
    // The responder commits every 2 s: give it two rounds, then crash it with request 1 still in its hands.
    await new Promise((r) => setTimeout(r, 4500));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    second = new RequestResponder(kafka, {
      groupId: group,
      topic,
      logger: silentLogger,
      handler: async (env) => ({ n: (env.data as { n: number }).n, by: 'second' }),
    });
    await second.start();
    expect(await inFlight).toEqual({ n: 1, by: 'second' });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await second?.stop();
    await client.stop();
    await deleteTopics(kafka, [topic]);
  }
});
