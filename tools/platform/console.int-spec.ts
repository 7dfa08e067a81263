import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { calcomSimulator, ratesSimulator, retellSimulator, RunningSimulator, smtpSimulator, startSimulator, stripeSimulator, translateSimulator, twilioSimulator } from '@receptionist/simulators';
import { ensureTopics } from '@receptionist/messaging';
import { PrivateKafka, testInfra, testKafkaOn, uniqueName } from '@receptionist/testing';
import { runCompanyImport } from '../company-import';
import { ensureConsoleBuilt } from './console-build';
import { ROOT, migrateAll, startService, waitReady } from './launch';
import { SERVICES } from './services';

jest.setTimeout(600000);

const PORT_OFFSET = 400; // beside npm start (0), the platform test (200) and the voice-call test (300)
const ADMIN = { email: 'owner@console-e2e.test', password: 'console e2e admin password' };
const CALLER = '+491701234567';
const SECRETS = { retell: 'key_console_e2e', calcomWebhook: 'calcom_console_e2e', stripeWebhook: 'whsec_console_e2e', twilio: 'console_e2e_twilio_token' };

/**
 * The web console and portal in Debian's chromium (Playwright test runner, apps/console/e2e) against the whole
 * platform started as `npm start` starts it: the six services as processes (offset ports, throwaway
 * databases), the simulators for Cal.com, Retell, Stripe, Twilio, SMTP, the demo company imported and the demo call
 * placed. `E2E_SCREENSHOTS=docs/console` keeps the pages' screenshots.
 */
describe('web console and portal in a browser', () => {
  const prefix = `${uniqueName('t_console')}_`;
  const children: ChildProcess[] = [];
  const sims: RunningSimulator<any>[] = [];
  const gatewayUrl = `http://127.0.0.1:${3000 + PORT_OFFSET}`;
  const logDir = path.join(os.tmpdir(), prefix);
  // Its own broker: on the shared one, other tests' instances in the same consumer groups would take (and
  // leave unanswered) some of this platform's requests.
  const kafka = new PrivateKafka();
  const sharedBrokers = process.env.KAFKA_BROKERS;

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
      }
    }
    for (const s of sims) await s.close();
    await kafka.destroy();
    if (sharedBrokers === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = sharedBrokers;
    const admin = new DataSource({ type: 'mysql', ...testInfra.db });
    await admin.initialize();
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS \`${prefix}${s.database}\``);
    await admin.destroy();
  });

  it('sign in → demo call → recording → top-up → portal registration → move; axe finds nothing serious', async () => {
    ensureConsoleBuilt();
    await kafka.start();
    await ensureTopics(testKafkaOn(kafka.brokers));
    // the services' KAFKA_BROKERS (tools/platform/launch.ts takes it from this process)
    process.env.KAFKA_BROKERS = kafka.brokers.join(',');
    // The simulators read their webhook targets and keys from the environment when they start.
    Object.assign(process.env, {
      SIM_CALCOM_WEBHOOK_URL: `${gatewayUrl}/api/calcom/webhook`,
      SIM_CALCOM_WEBHOOK_SECRET: SECRETS.calcomWebhook,
      SIM_RETELL_API_KEY: SECRETS.retell,
      SIM_STRIPE_WEBHOOK_URL: `${gatewayUrl}/api/webhooks/stripe`,
      SIM_STRIPE_WEBHOOK_SECRET: SECRETS.stripeWebhook,
      SIM_TWILIO_AUTH_TOKEN: SECRETS.twilio,
    });
    const [calcom, retell, stripe, twilio, rates, translate, smtp] = await Promise.all(
      [calcomSimulator, retellSimulator, stripeSimulator, twilioSimulator, ratesSimulator, translateSimulator, smtpSimulator].map((d) => startSimulator(d as never, { port: 0 })),
    );
    sims.push(calcom, retell, stripe, twilio, rates, translate, smtp);
    // its mail port is a free one (HTTP port 0); invitations and password resets are read over its HTTP API
    const smtpMailPort = (await (await fetch(`${smtp.url}/__sim/smtp/server`)).json()) as { mailPort: number };

    const opts = {
      databasePrefix: prefix,
      portOffset: PORT_OFFSET,
      logDir,
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
        APP_URL: gatewayUrl,
        BILLING_PORTAL_URL: `${gatewayUrl}/portal/billing`,
        CALCOM_BASE_URL: calcom.url,
        CALCOM_API_KEY: 'cal_console_e2e',
        CALCOM_WEBHOOK_SECRET: SECRETS.calcomWebhook,
        RETELLAI_API_KEY: SECRETS.retell,
        RETELLAI_BASE_URL: retell.url,
        RECORDING_URL_HOSTS: 'http://127.0.0.1',
        AUDIO_LOCAL_DIR: path.join(logDir, 'audio'),
        STRIPE_SECRET: 'sk_test_console_e2e',
        STRIPE_API_BASE: stripe.url,
        STRIPE_WEBHOOK_SECRET: SECRETS.stripeWebhook,
        TWILIO_SID: 'AC00000000000000000000000000000000',
        TWILIO_AUTH_TOKEN: SECRETS.twilio,
        TWILIO_FROM_NUMBER: '+4930555000000',
        TWILIO_API_BASE: twilio.url,
        EXCHANGE_RATES_URL: `${rates.url}/v1`,
        TRANSLATE_BASE_URL: translate.url,
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtpMailPort.mailPort),
        PLATFORM_ADMIN_EMAIL: ADMIN.email,
        PLATFORM_ADMIN_PASSWORD: ADMIN.password,
        RATE_LIMIT_KEY_PREFIX: `rl-${prefix}`,
        PLATFORM_HEALTH_KEY: `hb-${prefix}`,
        // a browser session makes many requests a minute; the limits themselves are tested elsewhere
        RATE_LIMIT_GENERAL: '5000',
        RATE_LIMIT_SENSITIVE: '200',
      },
    };
    await migrateAll(opts);
    for (const s of SERVICES) children.push(startService(s, opts));
    await Promise.all(SERVICES.map((s) => waitReady(`http://127.0.0.1:${s.port + PORT_OFFSET}/health/ready`, 120000)));

    const imported = await runCompanyImport({ file: path.join(ROOT, 'deploy/demo/company.yaml'), gatewayUrl, email: ADMIN.email, password: ADMIN.password, waitSeconds: 60, print: () => undefined });
    expect(imported.exitCode).toBe(0);

    // The demo call, exactly as npm start places it (tools/demo/voice-call.ts reads where everything is from the environment).
    Object.assign(process.env, { GATEWAY_URL: gatewayUrl, SIM_RETELL_URL: retell.url, SIM_CALCOM_URL: calcom.url, SIM_TWILIO_URL: twilio.url, DEMO_CALLER: CALLER });
    const { runDemoCall } = await import('../demo/voice-call');
    const demo = await runDemoCall(() => undefined);
    expect(demo.booked).toBe(true);

    const e2eEnv = {
      E2E_GATEWAY_URL: gatewayUrl,
      E2E_ADMIN_EMAIL: ADMIN.email,
      E2E_ADMIN_PASSWORD: ADMIN.password,
      E2E_CALLER: CALLER,
      E2E_CALCOM_URL: calcom.url,
      E2E_RETELL_URL: retell.url,
      E2E_TWILIO_URL: twilio.url,
      E2E_SMTP_URL: smtp.url,
      E2E_OUTPUT_DIR: path.join(logDir, 'playwright'),
      PLAYWRIGHT_BROWSERS_PATH: path.join(logDir, 'no-browser-downloads'),
    };
    // Playwright refuses to run inside a Jest worker: the child must not look like one.
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...e2eEnv };
    delete childEnv.JEST_WORKER_ID;
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', '-c', 'apps/console/e2e/playwright.config.ts'], {
        cwd: ROOT,
        env: childEnv,
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('exit', (code) => resolve({ code, output }));
    });
    if (result.code !== 0) fs.writeFileSync(path.join(logDir, 'playwright.log'), result.output);
    expect({ code: result.code, output: result.code === 0 ? '' : result.output.slice(-6000) }).toEqual({ code: 0, output: '' });
  });
});
