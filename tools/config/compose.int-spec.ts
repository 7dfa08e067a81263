/**
 * docker-compose.yml as Compose reads it (`docker-compose config`, Debian's docker-compose; installed by
 * deploy/images/ci.sh in CI): every service gets every variable it requires at start-up, with values its schema
 * accepts; only the gateway is published; the simulators only with their profile.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { startupProblems } from './env-check';
import { SERVICES } from './env-example';

const root = resolve(__dirname, '../..');
type Compose = { services: Record<string, any> };
const config = (...args: string[]): Compose =>
  load(
    execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), ...args, 'config'], {
      encoding: 'utf8',
      // As a user's .env would: the one value the file insists on.
      env: { ...process.env, PLATFORM_ADMIN_PASSWORD: 'compose-admin-password' },
    }),
  ) as Compose;

describe('docker-compose.yml', () => {
  const plain = config();

  it.each(SERVICES)('gives %s every variable it requires, each to a value its schema accepts', (service) => {
    const env = plain.services[service].environment as Record<string, string | null>;
    const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)]));
    expect(startupProblems(service, values)).toEqual([]);
  });

  it('publishes only the gateway, observability on 127.0.0.1 only', () => {
    // docker-compose 1.29 prints short syntax (`127.0.0.1:3000:3000/tcp`); a port without an address is on all.
    const published = Object.entries(plain.services).flatMap(([name, s]) =>
      ((s.ports ?? []) as string[]).map((p) => [name, String(p).split(':').length === 3 ? String(p).split(':')[0] : '0.0.0.0']),
    );
    for (const [name, ip] of published) {
      expect([name, name === 'gateway' || ip === '127.0.0.1']).toEqual([name, true]);
    }
    expect(published.filter(([name]) => ['booking', 'billing', 'sync', 'voice-agent', 'notification', 'simulators', 'mariadb', 'redis', 'kafka'].includes(name))).toEqual([]);
  });

  it('starts the simulators only with the simulators profile, and the gateway with a first platform admin', () => {
    // (`config` lists every service with its profiles; nothing may depend on the simulators, or `up` without the
    // profile would fail.)
    expect(plain.services.simulators.profiles).toEqual(['simulators']);
    const dependents = Object.entries(plain.services).filter(([, s]) => Object.keys(s.depends_on ?? {}).includes('simulators'));
    expect(dependents.map(([name]) => name)).toEqual([]);
    expect(plain.services.gateway.environment.PLATFORM_ADMIN_PASSWORD).toBe('compose-admin-password');
  });
});
