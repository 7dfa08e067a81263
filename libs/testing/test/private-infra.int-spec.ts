import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { PrivateKafka, PrivateMariaDB, PrivateRedis, testKafkaOn, createTopics } from '../src';

jest.setTimeout(180_000);

/** The fault tests rely on these: a private server survives a kill -9 with its committed data, on the same port. */
describe('private infrastructure for fault tests', () => {
  it('MariaDB keeps committed rows across a SIGKILL and a restart on the same port', async () => {
    const db = new PrivateMariaDB();
    try {
      await db.start();
      const port = db.port;
      const connect = async () => {
        const ds = new DataSource({ type: 'mysql', host: '127.0.0.1', port: db.port, username: 'root', password: '' });
        return ds.initialize();
      };
      let ds = await connect();
      await ds.query('CREATE DATABASE faults');
      await ds.query('CREATE TABLE faults.t (id INT PRIMARY KEY) ENGINE=InnoDB');
      await ds.query('INSERT INTO faults.t VALUES (1), (2)');
      await ds.destroy();
      await db.kill();
      await expect(connect()).rejects.toThrow();
      await db.start();
      expect(db.port).toBe(port);
      ds = await connect();
      expect(await ds.query('SELECT id FROM faults.t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
      await ds.destroy();
    } finally {
      await db.destroy();
    }
  });

  it('Redis stops answering while stopped and answers again after start', async () => {
    const redis = new PrivateRedis();
    try {
      await redis.start();
      const client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 0, lazyConnect: true });
      await client.connect();
      expect(await client.set('k', 'v')).toBe('OK');
      await redis.stop();
      await expect(client.get('k')).rejects.toThrow();
      await redis.start();
      await new Promise((r) => setTimeout(r, 500));
      expect(await client.ping()).toBe('PONG');
      client.disconnect();
    } finally {
      await redis.destroy();
    }
  });

  it('Kafka keeps a produced message across a SIGKILL of the broker', async () => {
    const kafka = new PrivateKafka();
    try {
      await kafka.start();
      const client = testKafkaOn(kafka.brokers);
      await createTopics(client, [{ topic: 'faults' }]);
      const producer = client.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic: 'faults', acks: -1, messages: [{ value: 'kept' }] });
      await producer.disconnect();
      await kafka.kill();
      await kafka.start();
      const admin = testKafkaOn(kafka.brokers).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('faults');
      await admin.disconnect();
      expect(offsets[0].high).toBe('1');
    } finally {
      await kafka.destroy();
    }
  });
});
