import net from 'node:net';
import { testInfra } from './env';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Integration tests need the real infrastructure; fail fast with the command that starts it. */
export default async function globalSetup() {
  const [kHost, kPort] = testInfra.kafkaBrokers[0].split(':');
  const checks = [
    ['Kafka', kHost, Number(kPort)],
    ['MariaDB/MySQL', testInfra.db.host, testInfra.db.port],
    ['Redis', testInfra.redis.host, testInfra.redis.port],
  ] as const;
  const down = [];
  for (const [name, host, port] of checks) if (!(await reachable(host, port))) down.push(`${name} at ${host}:${port}`);
  if (down.length) throw new Error(`Not reachable: ${down.join(', ')}. Start them with: npm run infra:up`);
}
