import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiscoveryService } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { DataSource } from 'typeorm';
import { ALL_TOPICS, Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { bootstrapService } from '@receptionist/service-runtime';
import { collectMessages, createTestDatabase, testInfra, startGroupsAtEnd, testKafka, waitFor } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { gatewayEnvSchema } from '../src/config';
import { applyHardening } from '../src/hardening';
import { CompaniesRepository } from '../src/companies/companies.repository';
import { buildOpenApiDocument } from '../src/openapi/openapi';
import { createGatewayDatabase, freePort } from './gateway-app';
// The owners of the other parts run in this process as their main.ts would run them: this test is about the
// whole path over Kafka, so it boots them from their own apps (tests only; apps never import each other).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AppModule as BillingAppModule } from '../../billing/src/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { billingEnvSchema } from '../../billing/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { migrations as billingMigrations } from '../../billing/src/migrations';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AppModule as NotificationAppModule } from '../../notification/src/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { notificationEnvSchema } from '../../notification/src/config';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { migrations as notificationMigrations } from '../../notification/src/migrations';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking, TestBooking } from '../../booking/test/booking-app';

jest.setTimeout(180000);

const ROOT = path.resolve(__dirname, '../../..');
const DEMO_FILE = path.join(ROOT, 'deploy/demo/company.yaml');
const ADMIN = { email: 'root@onboarding.test', password: 'onboarding admin password' };
/** A JSON column as mysql2 returns it from MariaDB: parsed already, or text. */
const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);
const SETUP_TOPICS = [Topics.bookingSetup.name, Topics.billingSetup.name, Topics.notificationSetup.name];

interface InProcessApp {
  app: NestFastifyApplication;
  url: string;
  service: string;
  database: string;
  dataSource: DataSource;
  close: () => Promise<void>;
}

/**
 * Boots one service in this process under a unique service name, so its consumer group is its own, with the
 * group's offsets set to the topics' current end (no replay of the broker's history, no stealing of another
 * instance's messages).
 */
async function bootInProcess(
  name: string,
  createModule: (ctx: any) => unknown,
  schema: z.ZodObject<z.ZodRawShape> | undefined,
  migrations: unknown[] | null,
  extraEnv: Record<string, string> = {},
  configure?: (app: NestFastifyApplication, ctx: any) => Promise<void>,
): Promise<InProcessApp> {
  const db = migrations === null ? await createGatewayDatabase() : await createTestDatabase(name, { entities: [], migrations: migrations as never }).then(async (d) => (await d.dataSource.destroy(), d));
  const service = `${name}-onb-${randomBytes(3).toString('hex')}`;
  await startGroupsAtEnd({ [service]: ALL_TOPICS.map((t) => t.name) });
  const port = await freePort();
  const env: Record<string, string> = {
    APP_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_HOST: testInfra.db.host,
    DB_PORT: String(testInfra.db.port),
    DB_USERNAME: testInfra.db.username,
    DB_PASSWORD: testInfra.db.password,
    DB_DATABASE: db.database,
    KAFKA_BROKERS: testInfra.kafkaBrokers.join(','),
    REDIS_HOST: testInfra.redis.host,
    REDIS_PORT: String(testInfra.redis.port),
    ...extraEnv,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let app: NestFastifyApplication;
  try {
    app = await bootstrapService(service, createModule, schema, configure ? { configure } : {});
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const dataSource = new DataSource({ type: 'mysql', ...testInfra.db, database: db.database, timezone: 'Z' });
  await dataSource.initialize();
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    service,
    database: db.database,
    dataSource,
    close: async () => {
      await app.close();
      await dataSource.destroy();
      await db.drop();
    },
  };
}

describe('onboarding: one file sets up a company across the services', () => {
  let gateway: InProcessApp;
  let billing: InProcessApp;
  let notification: InProcessApp;
  let booking: TestBooking;
  let bookingDb: DataSource;
  let commands: Awaited<ReturnType<typeof collectMessages>>;
  let platformToken: string;
  let companyId: string;
  const ourCompanies = new Set<string>();
  const demoText = fs.readFileSync(DEMO_FILE, 'utf8');
  const demo = () => yaml.load(demoText) as any;

  const call = async (method: string, urlPath: string, options: { token?: string; body?: string | object; contentType?: string } = {}) => {
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const res = await fetch(gateway.url + urlPath, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const importDoc = (doc: object | string, wait = 25, token = platformToken) =>
    call('POST', `/api/v1/companies/import?wait=${wait}`, typeof doc === 'string' ? { token, body: doc, contentType: 'application/yaml' } : { token, body: doc });
  const commandsFor = (id: string) => commands.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === id);

  /** Everything each owner stores about the company, to compare before and after. */
  const snapshot = async (id: string) => ({
    company: await gateway.dataSource.query('SELECT id, external_key, name, time_zone, language, currency, settings, updated_at FROM company WHERE id = ?', [id]),
    branches: await gateway.dataSource.query('SELECT id, setup_key, name, address, time_zone, active, updated_at FROM branch WHERE company_id = ? ORDER BY setup_key', [id]),
    phones: await gateway.dataSource.query('SELECT id, number, branch_id, label FROM phone_number WHERE company_id = ? ORDER BY number', [id]),
    agents: await gateway.dataSource.query('SELECT id, agent_id, branch_id, label FROM retell_agent WHERE company_id = ? ORDER BY agent_id', [id]),
    parts: await gateway.dataSource.query('SELECT part, sent_revision, sent_at, applied_revision, applied_at FROM company_setup_part WHERE company_id = ? ORDER BY part', [id]),
    pricing: await billing.dataSource.query('SELECT * FROM company_pricing WHERE company_id = ?', [id]),
    notifications: await notification.dataSource.query('SELECT * FROM company_notification_settings WHERE company_id = ?', [id]),
    bookingCompany: await bookingDb.query('SELECT revision, applied_at FROM booking_company WHERE company_id = ?', [id]),
    services: await bookingDb.query('SELECT id, `key`, calcom_event_type_id, price_minor, updated_at FROM service WHERE company_id = ? ORDER BY `key`', [id]),
  });

  beforeAll(async () => {
    commands = await collectMessages(testKafka(), SETUP_TOPICS, { fromBeginning: false });
    gateway = await bootInProcess(
      'gateway',
      (ctx) => ({ module: class OnboardingTestGateway {}, imports: [AppModule.forRoot(ctx)] }),
      gatewayEnvSchema,
      null,
      {
        PLATFORM_ADMIN_EMAIL: ADMIN.email,
        PLATFORM_ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_KEY_PREFIX: `rl-onb-${randomBytes(4).toString('hex')}:`,
        RATE_LIMIT_GENERAL: '10000',
        RATE_LIMIT_SENSITIVE: '1000',
      },
      async (a, { config, logger }) => applyHardening(a, { corsOrigins: config.CORS_ORIGINS, logger }),
    );
    billing = await bootInProcess('billing', (ctx) => BillingAppModule.forRoot(ctx), billingEnvSchema, billingMigrations);
    const none = `onboarding-none-${randomBytes(3).toString('hex')}`;
    notification = await bootInProcess('notification', (ctx) => NotificationAppModule.forRoot(ctx), notificationEnvSchema, notificationMigrations, { NOTIFICATION_SERVE_COMPANIES: none });
    booking = await startBooking({}, { companies: [none] });
    // Booking and notification serve only the companies this test creates (other test files share the broker):
    // they learn the ids as the gateway writes the commands, before anything is published.
    for (const app of [booking.app, notification.app]) {
      const filters = app.get(DiscoveryService).getProviders().filter((w) => w.name === 'CompanyFilter' && w.instance);
      expect(filters.length).toBeGreaterThan(0);
      for (const f of filters) (f.instance as { serves: (id: string | null) => boolean }).serves = (id) => id !== null && ourCompanies.has(id);
    }
    const outbox = gateway.app.get(Outbox);
    const add = outbox.add.bind(outbox);
    outbox.add = (manager, event) => {
      if (event.companyId) ourCompanies.add(event.companyId);
      return add(manager, event);
    };
    bookingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await bookingDb.initialize();
    platformToken = (await call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    expect(platformToken).toEqual(expect.any(String));
  });

  afterAll(async () => {
    await commands?.stop();
    await bookingDb?.destroy();
    await booking?.close();
    await notification?.close();
    await billing?.close();
    await gateway?.close();
  });

  it('imports the demo file: the company, its routing and every part applied by its owner', async () => {
    const res = await importDoc(demoText);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: 'salon-schnittpunkt', company: 'created', applied: true, pending: [] });
    expect(res.body.routing).toEqual({
      branches: { created: 1, updated: 0, removed: 0, unchanged: 0 },
      phoneNumbers: { created: 1, updated: 0, removed: 0, unchanged: 0 },
      retellAgents: { created: 1, updated: 0, removed: 0, unchanged: 0 },
    });
    for (const part of ['booking', 'billing', 'notification']) {
      expect(res.body.parts[part]).toMatchObject({ change: 'sent', status: 'applied', outcome: 'applied', revision: expect.stringMatching(/^[0-9a-f]{32}$/) });
    }
    companyId = res.body.companyId;

    // each part arrived once, as its owner's command keyed by the company
    const sent = await waitFor(() => (commandsFor(companyId).length >= 3 ? commandsFor(companyId) : null), { message: 'three commands' });
    expect(sent.map((e) => e.type).sort()).toEqual([...SETUP_TOPICS].sort());
    expect(commands.messages.filter((m) => JSON.parse(m.value!.toString()).companyId === companyId).every((m) => m.key!.toString() === companyId)).toBe(true);

    // the gateway records the first answer for a revision; wait until this test's own owners have stored theirs
    const s = await waitFor(async () => {
      const snap = await snapshot(companyId);
      return snap.pricing.length && snap.notifications.length && snap.bookingCompany.length ? snap : null;
    });
    expect(s.company[0]).toMatchObject({ external_key: 'salon-schnittpunkt', name: 'Salon Schnittpunkt', time_zone: 'Europe/Berlin', language: 'de', currency: 'EUR' });
    expect(s.phones).toEqual([expect.objectContaining({ number: '+493055571234', branch_id: s.branches[0].id, label: 'Hauptnummer' })]);
    expect(s.agents).toEqual([expect.objectContaining({ agent_id: 'agent_demo_schnittpunkt', branch_id: s.branches[0].id })]);
    expect(s.pricing[0]).toMatchObject({ currency: 'EUR', per_minute_minor: 29, per_booking_minor: 50, low_balance_threshold_minor: 1000, top_up_minor: 5000, auto_top_up: 0, revision: res.body.parts.billing.revision });
    expect(s.notifications[0]).toMatchObject({ company_name: 'Salon Schnittpunkt', time_zone: 'Europe/Berlin', language: 'de', confirmation: 1, sender_id: 'Schnittpkt', quiet_hours_start: '21:00', quiet_hours_end: '08:00' });
    expect(json(s.notifications[0].channels)).toEqual(['sms', 'whatsapp']);
    expect(json(s.notifications[0].reminders_minutes_before)).toEqual([1440, 120]);
    expect(s.bookingCompany[0].revision).toBe(res.body.parts.booking.revision);
    expect(s.services.map((r: any) => [r.key, r.calcom_event_type_id, Number(r.price_minor)])).toEqual([
      ['farbberatung', 1001, 0],
      ['haarschnitt', 1002, 3900],
      ['pony', 1003, 800],
    ]);

    // the routing the voice functions use finds the company by number and by agent
    const routing = gateway.app.get(CompaniesRepository);
    expect((await routing.findCompanyByNumber('+49 30 5557 1234'))).toMatchObject({ company: { id: companyId }, branchId: s.branches[0].id });
    expect((await routing.findCompanyByAgentId('agent_demo_schnittpunkt'))?.company.id).toBe(companyId);
    const setup = await call('GET', `/api/v1/companies/${companyId}/setup`, { token: platformToken });
    expect(setup.status).toBe(200);
    expect(setup.body).toMatchObject({ companyId, key: 'salon-schnittpunkt', applied: true, pending: [] });
    expect(setup.body.parts.billing).toMatchObject({ status: 'applied', revision: res.body.parts.billing.revision, appliedAt: expect.any(String) });

    // the API description documents the file format from the schema the route validates with
    const described = buildOpenApiDocument(gateway.app).paths['/api/v1/companies/import'].post as any;
    expect(Object.keys(described.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['company', 'branches', 'phoneNumbers', 'retellAgents', 'services', 'staff', 'openingHours', 'policies', 'pricing', 'notifications']),
    );

    const audit = await gateway.dataSource.query("SELECT actor_user_id, changes FROM audit_log WHERE company_id = ? AND action = 'company.imported'", [companyId]);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].changes)).toMatchObject({ key: 'salon-schnittpunkt', company: 'created' });
  });

  it('changes nothing when the same file is imported again (YAML or the same document as JSON)', async () => {
    const before = await snapshot(companyId);
    const sentBefore = commandsFor(companyId).length;
    for (const doc of [demoText, demo()]) {
      const res = await importDoc(doc);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ companyId, company: 'unchanged', applied: true });
      expect(Object.values(res.body.routing).every((c: any) => c.created + c.updated + c.removed === 0)).toBe(true);
      for (const part of ['booking', 'billing', 'notification']) expect(res.body.parts[part]).toMatchObject({ change: 'unchanged', status: 'applied' });
    }
    // a new command would have arrived by now: the first import's round trip took well under this
    await new Promise((r) => setTimeout(r, 1500));
    expect(commandsFor(companyId)).toHaveLength(sentBefore);
    expect(await snapshot(companyId)).toEqual(before);
    const audits = await gateway.dataSource.query("SELECT COUNT(*) AS n FROM audit_log WHERE company_id = ? AND action = 'company.imported'", [companyId]);
    expect(Number(audits[0].n)).toBe(3);
  });

  it('sends only the part that changed: a price to billing, a service to booking', async () => {
    const before = await snapshot(companyId);
    const sentBefore = commandsFor(companyId).length;

    const cheaper = demo();
    cheaper.pricing.perMinuteMinor = 25;
    const res = await importDoc(cheaper);
    expect(res.status).toBe(200);
    expect([res.body.parts.booking.change, res.body.parts.billing.change, res.body.parts.notification.change]).toEqual(['unchanged', 'sent', 'unchanged']);
    expect(res.body.parts.billing).toMatchObject({ status: 'applied', outcome: 'applied' });
    const afterPrice = await waitFor(async () => {
      const snap = await snapshot(companyId);
      return snap.pricing[0]?.revision === res.body.parts.billing.revision ? snap : null;
    });
    expect(afterPrice.pricing[0]).toMatchObject({ per_minute_minor: 25, revision: res.body.parts.billing.revision });
    expect(afterPrice.notifications).toEqual(before.notifications);
    expect(afterPrice.bookingCompany).toEqual(before.bookingCompany);
    expect(commandsFor(companyId).slice(sentBefore).map((e) => e.type)).toEqual([Topics.billingSetup.name]);

    cheaper.services[0].priceMinor = 4200;
    const res2 = await importDoc(cheaper);
    expect(res2.status).toBe(200);
    expect([res2.body.parts.booking.change, res2.body.parts.billing.change, res2.body.parts.notification.change]).toEqual(['sent', 'unchanged', 'unchanged']);
    const afterService = await waitFor(async () => {
      const snap = await snapshot(companyId);
      return snap.bookingCompany[0]?.revision === res2.body.parts.booking.revision ? snap : null;
    });
    expect(Number(afterService.services.find((r: any) => r.key === 'haarschnitt').price_minor)).toBe(4200);
    expect(afterService.pricing).toEqual(afterPrice.pricing);
    expect(afterService.notifications).toEqual(before.notifications);
    await new Promise((r) => setTimeout(r, 500));
    expect(commandsFor(companyId).slice(sentBefore).map((e) => e.type)).toEqual([Topics.billingSetup.name, Topics.bookingSetup.name]);

    // back to the demo file as it is, for the tests below
    expect((await importDoc(demoText)).status).toBe(200);
  });

  it('refuses a bad file with 400 naming the field, and changes nothing', async () => {
    const before = await snapshot(companyId);
    const sentBefore = commandsFor(companyId).length;

    const bad = demo();
    bad.company.name = 'Renamed by a bad file';
    bad.services[2].calcomEventTypeId = 'pony';
    const res = await importDoc(bad);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('services[2].calcomEventTypeId');
    expect(res.body.message).toContain('services[2].calcomEventTypeId');

    const crossRef = demo();
    crossRef.staff[1].services = ['haarschnitt', 'dauerwelle'];
    crossRef.phoneNumbers[0].branch = 'kreuzberg';
    const res2 = await importDoc(crossRef);
    expect(res2.status).toBe(400);
    expect(res2.body.field.split(',').sort()).toEqual(['phoneNumbers[0].branch', 'staff[1].services[1]']);

    const typo = await importDoc(demoText.replace('perMinuteMinor:', 'perMinuteMinr:'));
    expect(typo.status).toBe(400);
    expect(typo.body.field).toContain('pricing.perMinuteMinr');

    const broken = await importDoc('company: [unclosed\nservices: 1\n');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ field: 'document', message: expect.stringContaining('not valid YAML') });

    const tooLong = await call('POST', '/api/v1/companies/import?wait=31', { token: platformToken, body: demo() });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.field).toBe('wait');

    // a number another company already owns: 409 naming the entry, and the new company is not created either
    const other = demo();
    other.company.key = 'salon-anderswo';
    other.company.name = 'Salon Anderswo';
    other.retellAgents = [];
    const res3 = await importDoc(other);
    expect(res3.status).toBe(409);
    expect(res3.body.field).toBe('phoneNumbers[0].number');
    expect(await gateway.dataSource.query("SELECT id FROM company WHERE external_key = 'salon-anderswo'")).toEqual([]);

    await new Promise((r) => setTimeout(r, 500));
    expect(commandsFor(companyId)).toHaveLength(sentBefore);
    expect(await snapshot(companyId)).toEqual(before);
  });

  it("lets only platform admins import, and another company's admin neither import nor see the set-up", async () => {
    const b = await call('POST', '/api/v1/companies', { token: platformToken, body: { name: 'Company B' } });
    expect(b.status).toBe(201);
    const user = { email: `admin-${randomBytes(3).toString('hex')}@b.test`, name: 'B admin', password: 'b admin password 1', role: 'company_admin' };
    expect((await call('POST', `/api/v1/companies/${b.body.id}/users`, { token: platformToken, body: user })).status).toBe(201);
    const bToken = (await call('POST', '/api/v1/auth/login', { body: { email: user.email, password: user.password } })).body.token;

    const before = await snapshot(companyId);
    const changed = demo();
    changed.company.name = 'Taken over by B';
    expect((await importDoc(changed, 0, bToken)).status).toBe(403);
    expect((await call('GET', `/api/v1/companies/${companyId}/setup`, { token: bToken })).status).toBe(404);
    const own = await call('GET', `/api/v1/companies/${b.body.id}/setup`, { token: bToken });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ companyId: b.body.id, key: null, applied: false, parts: { booking: null, billing: null, notification: null } });
    expect((await call('POST', '/api/v1/companies/import', { body: demo() })).status).toBe(401);
    expect(await snapshot(companyId)).toEqual(before);
  });

  it('works from the command line (npm run company:import) against a running gateway', async () => {
    const run = (args: string[], env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/company-import.ts', ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', GATEWAY_URL: gateway.url, ...env },
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('exit', (code) => resolve({ code, out }));
      });

    const ok = await run([DEMO_FILE, '--wait', '20'], { PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password });
    expect(ok.out).toContain(`company salon-schnittpunkt (${companyId}): unchanged`);
    expect(ok.out).toMatch(/billing\s+unchanged rev [0-9a-f]{12}: applied/);
    expect(ok.out).toContain('every part applied');
    expect(ok.code).toBe(0);

    // a changed file as JSON with a token: the changed part is sent and applied
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onboarding-'));
    const changed = demo();
    changed.notifications.remindersMinutesBefore = [1440];
    fs.writeFileSync(path.join(dir, 'salon.json'), JSON.stringify(changed));
    const asJson = await run([path.join(dir, 'salon.json')], { GATEWAY_TOKEN: platformToken });
    expect(asJson.out).toMatch(/notification\s+sent rev [0-9a-f]{12}: applied \(applied\)/);
    expect(asJson.code).toBe(0);
    await waitFor(async () => {
      const rows = await notification.dataSource.query('SELECT reminders_minutes_before FROM company_notification_settings WHERE company_id = ?', [companyId]);
      return json(rows[0].reminders_minutes_before).join() === '1440';
    });

    fs.writeFileSync(path.join(dir, 'bad.yaml'), demoText.replace('calcomEventTypeId: 1003', 'calcomEventTypeId: -3'));
    const bad = await run([path.join(dir, 'bad.yaml')], { GATEWAY_TOKEN: platformToken });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('HTTP 400 services[2].calcomEventTypeId');

    const noAuth = await run([DEMO_FILE], {});
    expect(noAuth.code).toBe(1);
    expect(noAuth.out).toContain('GATEWAY_TOKEN');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 202 with the pending parts when an owner does not answer within the wait', async () => {
    await notification.close(); // the notification owner is gone; its command waits on the broker
    notification = undefined as never;
    const later = demo();
    later.notifications.senderId = 'Schnittp2';
    later.pricing.perMinuteMinor = 31;
    const res = await importDoc(later, 2);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ applied: false, pending: ['notification'] });
    expect(res.body.parts.billing).toMatchObject({ change: 'sent', status: 'applied' });
    expect(res.body.parts.notification).toMatchObject({ change: 'sent', status: 'pending', appliedAt: null });
    const setup = await call('GET', `/api/v1/companies/${companyId}/setup`, { token: platformToken });
    expect(setup.body).toMatchObject({ applied: false, pending: ['notification'] });
    await waitFor(async () => (await call('GET', `/api/v1/companies/${companyId}/setup`, { token: platformToken })).body.parts.billing.status === 'applied');
  });
});
