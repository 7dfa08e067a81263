import type { Kafka } from 'kafkajs';
import { ReplyTopicJanitor } from '../src';
import { createTopics, deleteTopics, silentLogger, testKafka, uniqueName } from '@receptionist/testing';

jest.setTimeout(60_000);

const minutes = (n: number) => n * 60_000;

/** Issue 13, defect 15: reply topics of crashed requester instances were never deleted. */
describe('reply topic janitor', () => {
  let kafka: Kafka;
  let service: string;
  const topics = (names: string[]) => names.map((n) => `${service}.replies.${n}`);

  beforeEach(() => {
    kafka = testKafka();
    service = uniqueName('janitor').replace('_', '-');
  });

  afterEach(async () => {
    await deleteTopics(kafka, topics(['alive', 'crashed', 'unknown'])).catch(() => undefined);
  });

  async function existing(): Promise<string[]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).filter((t) => t.startsWith(`${service}.`)).sort();
    } finally {
      await admin.disconnect();
    }
  }

  it('deletes the reply topic of an instance silent for longer than the limit and keeps the live ones', async () => {
    await createTopics(kafka, topics(['alive', 'crashed', 'unknown']).map((topic) => ({ topic })));
    const now = Date.now();
    const heartbeats = new Map([
      [`${service}/alive`, now - 5_000],
      [`${service}/crashed`, now - minutes(12)],
    ]);
    const janitor = new ReplyTopicJanitor(kafka, { logger: silentLogger, services: [service], orphanAfterMs: minutes(10), lastHeartbeats: async () => heartbeats });
    expect(await janitor.sweep(now)).toEqual(topics(['crashed']));
    expect(await existing()).toEqual(topics(['alive', 'unknown']));
    // An instance never heard of gets the whole limit from the moment the janitor first saw its topic.
    expect(await janitor.sweep(now + minutes(5))).toEqual([]);
    heartbeats.set(`${service}/alive`, now + minutes(10));
    expect(await janitor.sweep(now + minutes(10) + 1)).toEqual(topics(['unknown']));
    expect(await existing()).toEqual(topics(['alive']));
  });
});
