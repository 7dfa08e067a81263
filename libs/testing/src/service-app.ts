import net from 'node:net';
import { testInfra } from './env';

/** A free TCP port on 127.0.0.1 for a service booted in a test. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The environment every service booted in a test gets: its own database and port, the shared infrastructure. */
export function testServiceEnv(database: string, port: number): Record<string, string> {
  return {
    APP_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_HOST: testInfra.db.host,
    DB_PORT: String(testInfra.db.port),
    DB_USERNAME: testInfra.db.username,
    DB_PASSWORD: testInfra.db.password,
    DB_DATABASE: database,
    KAFKA_BROKERS: testInfra.kafkaBrokers.join(','),
    REDIS_HOST: testInfra.redis.host,
    REDIS_PORT: String(testInfra.redis.port),
  };
}

/**
 * Runs `boot` with `env` set in process.env (services read and validate their config from it at bootstrap) and
 * restores the previous values afterwards, so instances booted one after the other don't inherit each other's.
 */
export async function withEnv<T>(env: Record<string, string>, boot: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await boot();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
