/**
 * docker-compose.yml as Compose reads it (`docker-compose config`, Debian's docker-compose; installed by
 * deploy/images/ci.sh in CI): every service gets every variable it requires at start-up, with values its schema
 * accepts; only the gateway is published; the simulators only with their profile. Both ways a user starts it:
 * with real keys (.env; no simulator anywhere, providers default to their real APIs) and the demo
 * (`--env-file deploy/compose/simulators.env`: the simulators profile, every provider URL on the simulators, and
 * the one-shot `demo` that imports the demo company and places the demo call once the platform is healthy).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { startupProblems } from './env-check';
import { SERVICES } from './env-example';

const root = resolve(__dirname, '../..');
type Compose = { services: Record<string, any> };
const PROVIDER_URLS = ['CALCOM_BASE_URL', 'RETELLAI_BASE_URL', 'STRIPE_API_BASE', 'TWILIO_API_BASE', 'SAMEDI_BASE_URL', 'EXCHANGE_RATES_URL', 'TRANSLATE_BASE_URL'];
/** The environment Compose interpolates from, without anything of this machine's that would mask a default. */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !PROVIDER_URLS.includes(k) && !/^(PLATFORM_ADMIN_|COMPOSE_|RECORDING_URL)/.test(k)));
const config = (...args: string[]): Compose =>
  load(
    execFileSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), ...args, 'config'], {
      encoding: 'utf8',
      // As a user's .env would: the one value the file insists on (the demo's env file brings its own).
      env: { ...cleanEnv(), ...(args.includes('--env-file') ? {} : { PLATFORM_ADMIN_PASSWORD: 'compose-admin-password' }) },
    }),
  ) as Compose;
const envOf = (c: Compose, service: string) =>
  Object.fromEntries(Object.entries(c.services[service].environment as Record<string, string | null>).map(([k, v]) => [k, v === null ? undefined : String(v)]));

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
    // profile would fail; the profile's own one-shot demo does.)
    expect(plain.services.simulators.profiles).toEqual(['simulators']);
    const dependents = Object.entries(plain.services).filter(([, s]) => !s.profiles?.includes('simulators') && Object.keys(s.depends_on ?? {}).includes('simulators'));
    expect(dependents.map(([name]) => name)).toEqual([]);
    expect(plain.services.gateway.environment.PLATFORM_ADMIN_PASSWORD).toBe('compose-admin-password');
  });

  it('with real keys (no profile) no service is pointed at a simulator: every provider defaults to its real API', () => {
    for (const service of SERVICES) {
      const env = envOf(plain, service);
      // (APP_URL is the gateway's own address on the host, not a provider)
      const local = Object.entries(env).filter(([k, v]) => k !== 'APP_URL' && /(\/\/|,|^)(simulators|127\.0\.0\.1|localhost)[:/,]?/.test(v ?? ''));
      expect([service, local]).toEqual([service, []]);
      for (const k of PROVIDER_URLS.filter((u) => u in env)) expect([service, k, env[k]]).toEqual([service, k, expect.stringMatching(/^https:\/\//)]);
    }
  });

  describe('the demo: --env-file deploy/compose/simulators.env', () => {
    const demo = config('--env-file', join(root, 'deploy/compose/simulators.env'));

    it.each(SERVICES)('points %s at the simulators with keys they accept, every variable valid', (service) => {
      const env = envOf(demo, service);
      for (const k of PROVIDER_URLS.filter((u) => u in env)) expect([k, env[k]]).toEqual([k, expect.stringMatching(/^http:\/\/simulators:\d+/)]);
      expect(startupProblems(service, env)).toEqual([]);
    });

    it('turns on the simulators profile and signs as the services expect (Retell key, webhook secrets)', () => {
      const file = readFileSync(join(root, 'deploy/compose/simulators.env'), 'utf8');
      expect(file).toMatch(/^COMPOSE_PROFILES=simulators$/m);
      const sim = envOf(demo, 'simulators');
      const gateway = envOf(demo, 'gateway');
      expect([sim.SIM_RETELL_API_KEY, sim.SIM_CALCOM_WEBHOOK_SECRET, sim.SIM_STRIPE_WEBHOOK_SECRET, sim.SIM_TWILIO_AUTH_TOKEN]).toEqual([
        gateway.RETELLAI_API_KEY, gateway.CALCOM_WEBHOOK_SECRET, gateway.STRIPE_WEBHOOK_SECRET, gateway.TWILIO_AUTH_TOKEN,
      ]);
      expect(gateway.RETELLAI_API_KEY).toMatch(/./);
    });

    it('runs the demo once the platform is healthy: imports the demo company, then places the demo call as the admin', () => {
      const svc = demo.services.demo;
      expect(svc.profiles).toEqual(['simulators']);
      expect(svc.image).toBe(demo.services.gateway.image);
      expect(svc.restart).toBe('no');
      expect(Object.entries(svc.depends_on)).toEqual(expect.arrayContaining([...SERVICES, 'simulators'].map((s) => [s, { condition: 'service_healthy' }])));
      const script = svc.command.join(' ');
      expect(script).toMatch(/node dist\/tools\/company-import\.js deploy\/demo\/company\.yaml --wait 30 .*&& node dist\/tools\/demo\/voice-call\.js/);
      const env = envOf(demo, 'demo');
      expect([env.GATEWAY_URL, env.PLATFORM_ADMIN_EMAIL, env.PLATFORM_ADMIN_PASSWORD]).toEqual(['http://gateway:3000', envOf(demo, 'gateway').PLATFORM_ADMIN_EMAIL, envOf(demo, 'gateway').PLATFORM_ADMIN_PASSWORD]);
      expect(svc.volumes.map((v: any) => (typeof v === 'string' ? v : `${v.source}:${v.target}`))).toEqual([expect.stringMatching(/deploy\/demo:\/app\/deploy\/demo/)]);
      expect(existsSync(join(root, 'deploy/demo/company.yaml'))).toBe(true);
    });
  });
});

