import { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {
  calcomSimulator,
  ratesSimulator,
  retellSimulator,
  RunningSimulator,
  slackSimulator,
  startSimulator,
  stripeSimulator,
  translateSimulator,
  twilioSimulator,
} from '@receptionist/simulators';
import { ensureTopics } from '@receptionist/messaging';
import { PrivateKafka, PrivateMariaDB, PrivateRedis, freePort, testKafkaOn } from '@receptionist/testing';
import { runCompanyImport } from '../company-import';
import { ROOT, migrateAll, startService, waitReady } from '../platform/launch';
import { SERVICES, ServiceSpec } from '../platform/services';

/** The services that consume Kafka: two instances each (one consumer group), so one can die while the other serves. */
export const CONSUMERS = ['voice-agent', 'booking', 'billing', 'notification', 'sync'] as const;
export type ServiceName = 'gateway' | (typeof CONSUMERS)[number];

export const FAULT_ADMIN = { email: 'ops@faults.test', password: 'operator password for the fault suite' };
export const RETELL_KEY = 'key_faults_retell';
export const STRIPE_WEBHOOK_SECRET = 'whsec_faults';
export const TWILIO_TOKEN = 'faults_twilio_token';
const CALCOM_WEBHOOK_SECRET = 'calcom_faults';
export const DEMO_AGENT = 'agent_demo_schnittpunkt';
export const DEMO_NUMBER = '+493055571234';

/** One running process of a service. */
export interface Instance {
  service: ServiceName;
  index: number;
  name: string;
  spec: ServiceSpec;
  child?: ChildProcess;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * The whole platform as real processes on infrastructure of its own (private MariaDB, Redis and Kafka, which the
 * suite may stop and kill; the machine's shared ones are never touched): the gateway and two instances of every
 * consumer service, the outside APIs as in-process simulators. The demo company is imported through the admin API.
 */
export class FaultPlatform {
  readonly mariadb = new PrivateMariaDB();
  readonly redis = new PrivateRedis();
  readonly kafka = new PrivateKafka();
  readonly instances: Instance[] = [];
  readonly logDir = path.join(os.tmpdir(), `faults-${process.pid}-${Date.now()}`);
  calcom!: RunningSimulator<any>;
  retell!: RunningSimulator<any>;
  stripe!: RunningSimulator<any>;
  twilio!: RunningSimulator<any>;
  private others: RunningSimulator<any>[] = [];
  gatewayUrl = '';
  companyId = '';
  private token = '';

  /** `copies`: instances per consumer service (2 unless given; the gateway is always one). */
  constructor(private readonly copies: Partial<Record<ServiceName, number>> = {}) {}

  async start(): Promise<void> {
    // The broker (a JVM) takes longest to start: the databases are migrated meanwhile.
    const kafka = this.kafka.start();
    kafka.catch(() => undefined);
    await Promise.all([this.mariadb.start(), this.redis.start()]);
    for (const spec of SERVICES) {
      const copies = spec.name === 'gateway' ? 1 : (this.copies[spec.name as ServiceName] ?? 2);
      for (let index = 0; index < copies; index++) {
        this.instances.push({
          service: spec.name as ServiceName,
          index,
          name: `${spec.name}-${index + 1}`,
          spec: { ...spec, port: await freePort(), metricsPort: await freePort() },
        });
      }
    }
    this.gatewayUrl = `http://127.0.0.1:${this.gateway.spec.port}`;
    // The simulators read where to send their webhooks from the environment when they start.
    Object.assign(process.env, {
      SIM_CALCOM_WEBHOOK_URL: `${this.gatewayUrl}/api/calcom/webhook`,
      SIM_CALCOM_WEBHOOK_SECRET: CALCOM_WEBHOOK_SECRET,
      SIM_STRIPE_WEBHOOK_URL: `${this.gatewayUrl}/api/webhooks/stripe`,
      SIM_STRIPE_WEBHOOK_SECRET: STRIPE_WEBHOOK_SECRET,
      SIM_TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      SIM_RETELL_API_KEY: RETELL_KEY,
    });
    [this.calcom, this.retell, this.stripe, this.twilio] = await Promise.all([
      startSimulator(calcomSimulator, { port: 0 }),
      startSimulator(retellSimulator, { port: 0 }),
      startSimulator(stripeSimulator, { port: 0 }),
      startSimulator(twilioSimulator, { port: 0 }),
    ]);
    this.others = await Promise.all([ratesSimulator, translateSimulator, slackSimulator].map((s) => startSimulator(s as any, { port: 0 })));
    await migrateAll(this.options());
    await kafka;
    await ensureTopics(testKafkaOn(this.kafka.brokers));
    // Eleven processes booting at once on a small machine starve each other past their own connection timeouts: then
    // in two waves (the first instance of each service, then the second ones).
    const waves = this.instances.length > 8 ? [[0], [1]] : [[0, 1]];
    for (const wave of waves) {
      const starting = this.instances.filter((i) => wave.includes(i.index));
      for (const instance of starting) this.spawn(instance);
      await Promise.all(starting.map((i) => this.waitReady(i, 300_000)));
    }
    await this.importCompany();
  }

  get gateway(): Instance {
    return this.instances.find((i) => i.service === 'gateway')!;
  }

  of(service: ServiceName): Instance[] {
    return this.instances.filter((i) => i.service === service);
  }

  private options() {
    const [rates, translate, slack] = this.others;
    return {
      logDir: this.logDir,
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        DB_HOST: '127.0.0.1',
        DB_PORT: String(this.mariadb.port),
        DB_USERNAME: 'root',
        DB_PASSWORD: '',
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(this.redis.port),
        REDIS_PASSWORD: '',
        KAFKA_BROKERS: this.kafka.brokers.join(','),
        KAFKA_SASL_MECHANISM: '',
        APP_URL: this.gatewayUrl,
        CALCOM_BASE_URL: this.calcom.url,
        CALCOM_API_KEY: 'cal_faults_key',
        CALCOM_WEBHOOK_SECRET,
        // The breaker's half-open wait (60 s in production) shortened so a Cal.com outage row fits the suite.
        CALCOM_BREAKER_HALF_OPEN_MS: '5000',
        RETELLAI_API_KEY: RETELL_KEY,
        RETELLAI_BASE_URL: this.retell.url,
        RECORDING_URL_HOSTS: 'http://127.0.0.1',
        AUDIO_LOCAL_DIR: path.join(this.logDir, 'audio'),
        STRIPE_SECRET: 'sk_test_faults',
        STRIPE_API_BASE: this.stripe.url,
        STRIPE_WEBHOOK_SECRET,
        TWILIO_SID: 'AC00000000000000000000000000000000',
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM_NUMBER: '+4930555000000',
        TWILIO_API_BASE: this.twilio.url,
        EXCHANGE_RATES_URL: `${rates.url}/v1`,
        TRANSLATE_BASE_URL: translate.url,
        SLACK_WEBHOOK_URL: `${slack.url}/services/T0/B0/faults`,
        PLATFORM_ADMIN_EMAIL: FAULT_ADMIN.email,
        PLATFORM_ADMIN_PASSWORD: FAULT_ADMIN.password,
        // The load is one company's; production's per-tenant limits would refuse it (limits have their own tests).
        RATE_LIMIT_GENERAL: '100000',
        RATE_LIMIT_VOICE: '100000',
        RATE_LIMIT_BOOKING: '100000',
        RATE_LIMIT_SENSITIVE: '100000',
      },
    };
  }

  private spawn(instance: Instance): void {
    const o = this.options();
    instance.child = startService(instance.spec, { ...o, env: { ...o.env, INSTANCE_ID: instance.name } }, instance.name);
  }

  async waitReady(instance: Instance, timeoutMs = 180_000): Promise<number> {
    const died = instance.child ? exited(instance.child).then(() => Promise.reject(new Error(`${instance.name} exited while starting (log: ${this.logDir}/${instance.name}.log)`))) : undefined;
    died?.catch(() => undefined);
    return Promise.race([waitReady(`http://127.0.0.1:${instance.spec.port}/health/ready`, timeoutMs), ...(died ? [died] : [])]);
  }

  running(instance: Instance): boolean {
    return !!instance.child && instance.child.exitCode === null && instance.child.signalCode === null;
  }

  /** A crash: SIGKILL, with whatever it had in flight. */
  async kill(instance: Instance): Promise<void> {
    const child = instance.child;
    if (!child || !this.running(instance)) return;
    child.kill('SIGKILL');
    await exited(child);
  }

  /** Starts a stopped or killed instance again; waits until it is ready unless `wait` is false (as a scheduler restarts a pod). */
  async restart(instance: Instance, wait = true): Promise<void> {
    if (!this.running(instance)) this.spawn(instance);
    if (wait) await this.waitReady(instance);
  }

  /** Waits until every instance answers ready (after an infrastructure fault). */
  async allReady(timeoutMs = 180_000): Promise<void> {
    await Promise.all(this.instances.map((i) => this.waitReady(i, timeoutMs)));
  }

  private async importCompany(): Promise<void> {
    const imported = await runCompanyImport({
      file: path.join(ROOT, 'deploy/demo/company.yaml'),
      gatewayUrl: this.gatewayUrl,
      email: FAULT_ADMIN.email,
      password: FAULT_ADMIN.password,
      waitSeconds: 60,
      print: () => undefined,
    });
    if (imported.exitCode !== 0) throw new Error(`company import: exit ${imported.exitCode} ${JSON.stringify(imported.body)}`);
    const companies = await this.admin('GET', '/api/v1/companies');
    this.companyId = companies.body.data.find((c: any) => c.name === 'Salon Schnittpunkt').id;
  }

  /** The admin API, signed in as the platform's operator. */
  async admin(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const call = async () => {
      const res = await fetch(`${this.gatewayUrl}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    };
    if (!this.token) await this.login();
    let res = await call();
    if (res.status === 401) {
      await this.login();
      res = await call();
    }
    return res;
  }

  private async login(): Promise<void> {
    const res = await fetch(`${this.gatewayUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(FAULT_ADMIN),
      signal: AbortSignal.timeout(20_000),
    });
    if (res.status !== 200 && res.status !== 201) throw new Error(`admin login: ${res.status}`);
    this.token = ((await res.json()) as any).token;
  }

  /** Every page of a list route of the admin API. */
  async adminList(route: string): Promise<any[]> {
    const out: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 200; page++) {
      const sep = route.includes('?') ? '&' : '?';
      const res = await this.admin('GET', `${route}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (res.status !== 200) throw new Error(`GET ${route}: ${res.status} ${JSON.stringify(res.body)}`);
      out.push(...(res.body.data ?? []));
      cursor = res.body.next ?? null;
      if (!cursor) break;
    }
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.instances.map(async (i) => {
        if (!i.child || !this.running(i)) return;
        i.child.kill('SIGTERM');
        await Promise.race([exited(i.child), sleep(15_000)]);
        if (this.running(i)) i.child.kill('SIGKILL');
      }),
    );
    await Promise.all([this.calcom, this.retell, this.stripe, this.twilio, ...this.others].filter(Boolean).map((s) => s.close().catch(() => undefined)));
    await Promise.all([this.kafka.destroy(), this.redis.destroy(), this.mariadb.destroy()]);
  }
}
