/**
 * Starts the platform locally (infrastructure must be up: deploy/infra.sh does that): migrations, the
 * simulators when no API keys are set, then the six services; waits until each is ready and prints where
 * everything listens. Processes are detached; `npm run stop` ends them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, migrateAll, startProcess, startService, waitReady } from './launch';
import { SERVICES } from './services';
import { runCompanyImport } from '../company-import';
import { runDemoCall } from '../demo/voice-call';
import { ensureConsoleBuilt } from './console-build';

const RUN = path.join(ROOT, '.run');

/**
 * Local platform admin (created by the gateway at its first start when none exists), used to import the demo
 * company. Override both with PLATFORM_ADMIN_EMAIL / PLATFORM_ADMIN_PASSWORD; never use the default beyond a laptop.
 */
const ADMIN_ENV = {
  PLATFORM_ADMIN_EMAIL: process.env.PLATFORM_ADMIN_EMAIL || 'admin@receptionist.local',
  PLATFORM_ADMIN_PASSWORD: process.env.PLATFORM_ADMIN_PASSWORD || 'local demo admin password',
};
/** The demo company imported once the services are ready; DEMO_COMPANY=off skips it, a path imports another file. */
const DEMO_FILE = process.env.DEMO_COMPANY ?? path.join(ROOT, 'deploy/demo/company.yaml');

/** Imports the demo company through the gateway's API, exactly as `npm run company:import` does. */
async function importDemo(): Promise<string> {
  if (DEMO_FILE === 'off') return '  demo company  not imported (DEMO_COMPANY=off)';
  const lines: string[] = [];
  const outcome = await runCompanyImport({
    file: DEMO_FILE,
    gatewayUrl: `http://127.0.0.1:${SERVICES.find((s) => s.name === 'gateway')!.port}`,
    email: ADMIN_ENV.PLATFORM_ADMIN_EMAIL,
    password: ADMIN_ENV.PLATFORM_ADMIN_PASSWORD,
    waitSeconds: 30,
    print: (line) => lines.push(line),
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  const what = path.relative(ROOT, DEMO_FILE);
  if (outcome.exitCode === 0) return `  demo company  ${what} imported, every part applied (admin: ${ADMIN_ENV.PLATFORM_ADMIN_EMAIL})`;
  if (outcome.exitCode === 2) return `  demo company  ${what} imported, parts still pending: ${outcome.body.pending.join(', ')}`;
  return `  demo company  ${what} NOT imported (see above; retry with npm run company:import -- ${what})`;
}

/**
 * Local credentials when the simulators stand in for the outside services: the simulators accept them (and the
 * Retell simulator signs with the same key the gateway verifies), so every path runs as with real keys.
 */
const SIMULATOR_ENV: NodeJS.ProcessEnv = {
  CALCOM_API_KEY: 'cal_local_simulator',
  // The Cal.com simulator sends its signed booking webhooks to the gateway, as a Cal.com webhook subscription would.
  CALCOM_WEBHOOK_SECRET: 'calcom_local_simulator',
  SIM_CALCOM_WEBHOOK_URL: 'http://127.0.0.1:3000/api/calcom/webhook',
  SIM_CALCOM_WEBHOOK_SECRET: 'calcom_local_simulator',
  RETELLAI_API_KEY: 'key_local_simulator',
  SIM_RETELL_API_KEY: 'key_local_simulator',
  TWILIO_SID: 'AC00000000000000000000000000000000',
  TWILIO_AUTH_TOKEN: 'local_simulator_twilio_token',
  SIM_TWILIO_AUTH_TOKEN: 'local_simulator_twilio_token',
  TWILIO_FROM_NUMBER: '+4930555000000',
  STRIPE_SECRET: 'sk_test_local_simulator',
  STRIPE_WEBHOOK_SECRET: 'whsec_local_simulator',
  SIM_STRIPE_WEBHOOK_SECRET: 'whsec_local_simulator',
  SIM_STRIPE_WEBHOOK_URL: 'http://127.0.0.1:3000/api/webhooks/stripe',
  SLACK_WEBHOOK_URL: 'http://127.0.0.1:4080/services/T0/B0/local',
  // The Retell simulator serves recordings over plain http; only this explicit entry lets voice-agent fetch them.
  RECORDING_URL_HOSTS: 'http://127.0.0.1:4020',
  // Frankfurter's v1 shape; without simulators billing asks the real Frankfurter API (its default, no key needed).
  EXCHANGE_RATES_URL: 'http://127.0.0.1:4060/v1',
  // E-mail (invitations, password resets, alerts) goes to the SMTP simulator's mail port; read it at :4100/__sim/smtp/messages.
  SMTP_HOST: '127.0.0.1',
  SMTP_PORT: '2525',
};

async function main() {
  const t0 = Date.now();
  fs.mkdirSync(path.join(RUN, 'pids'), { recursive: true });
  await migrateAll();
  const consoleBuild = ensureConsoleBuilt();

  const useSimulators = !process.env.CALCOM_API_KEY && !process.env.STRIPE_SECRET && !process.env.TWILIO_SID && !process.env.RETELLAI_API_KEY;
  const pids: Record<string, number> = {};
  const simulatorsStarted = useSimulators;
  if (simulatorsStarted) {
    const sim = startProcess('simulators', ['apps/simulators/src/main.ts'], { ...process.env, ...SIMULATOR_ENV }, { detached: true });
    pids.simulators = sim.pid!;
    await waitReady('http://127.0.0.1:4060/__sim/health', 30000);
  }
  const env = { ...ADMIN_ENV, ...(simulatorsStarted ? SIMULATOR_ENV : {}) };
  for (const spec of SERVICES) pids[spec.name] = startService(spec, { detached: true, env }).pid!;
  for (const [name, pid] of Object.entries(pids)) fs.writeFileSync(path.join(RUN, 'pids', `${name}.pid`), String(pid));

  const ready = await Promise.all(SERVICES.map((s) => waitReady(`http://127.0.0.1:${s.port}/health/ready`, 90000)));
  const total = Date.now() - t0;
  const demo = await importDemo();
  // The main job: a simulated call that ends in a booked (billed, confirmed) appointment. DEMO_CALL=off skips it.
  const demoCall =
    simulatorsStarted && process.env.DEMO_CALL !== 'off' && DEMO_FILE !== 'off'
      ? await runDemoCall().then(
          (r) => (r.booked ? `  demo call     booked appointment ${r.appointmentId} (call ${r.callId}); again: npm run demo:call` : '  demo call     did not book (see above)'),
          (e: Error) => `  demo call     failed: ${e.message}`,
        )
      : '  demo call     skipped (real API keys set, or DEMO_CALL=off)';
  const gatewayUrl = `http://127.0.0.1:${SERVICES.find((s) => s.name === 'gateway')!.port}`;
  const lines = SERVICES.map(
    (s, i) => `  ${s.name.padEnd(13)} http://127.0.0.1:${s.port}  (ready ${ready[i]} ms; /health/ready; metrics :${s.metricsPort}/metrics; db ${s.database})`,
  );
  process.stdout.write(
    [
      '',
      `Platform up: six services healthy in ${(total / 1000).toFixed(1)} s (migrations + start).`,
      ...lines,
      `  kafka         127.0.0.1:${(process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(':')[1]}`,
      simulatorsStarted ? '  simulators    http://127.0.0.1:4010-4100 (calcom, retell, stripe, twilio, samedi, rates, translate, slack, s3, smtp; mail on :2525, read at :4100/__sim/smtp/messages)' : '  simulators    off (API keys set)',
      `  logs          ${path.relative(process.cwd(), path.join(RUN, 'logs'))}/<service>.log`,
      demo,
      demoCall,
      `  console       ${gatewayUrl}/console/  (${consoleBuild}; sign in as ${ADMIN_ENV.PLATFORM_ADMIN_EMAIL} / ${process.env.PLATFORM_ADMIN_PASSWORD ? '<PLATFORM_ADMIN_PASSWORD>' : ADMIN_ENV.PLATFORM_ADMIN_PASSWORD})`,
      `  portal        ${gatewayUrl}/portal/  (customers sign in with an invitation from the console's company)`,
      '  stop with     npm run stop',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`[up] ${error.message}\n`);
  process.exit(1);
});
