/**
 * Starts the platform locally (infrastructure must be up: deploy/infra.sh does that): migrations, the
 * simulators when no API keys are set, then the six services; waits until each is ready and prints where
 * everything listens. Processes are detached; `npm run stop` ends them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, migrateAll, startProcess, startService, waitReady } from './launch';
import { SERVICES } from './services';

const RUN = path.join(ROOT, '.run');

async function main() {
  const t0 = Date.now();
  fs.mkdirSync(path.join(RUN, 'pids'), { recursive: true });
  await migrateAll();

  const useSimulators = !process.env.CALCOM_API_KEY && !process.env.STRIPE_SECRET && !process.env.TWILIO_SID && !process.env.RETELLAI_API_KEY;
  const pids: Record<string, number> = {};
  const simulatorsStarted = useSimulators;
  if (simulatorsStarted) {
    const sim = startProcess('simulators', ['apps/simulators/src/main.ts'], process.env, { detached: true });
    pids.simulators = sim.pid!;
    await waitReady('http://127.0.0.1:4060/__sim/health', 30000);
  }
  for (const spec of SERVICES) pids[spec.name] = startService(spec, { detached: true }).pid!;
  for (const [name, pid] of Object.entries(pids)) fs.writeFileSync(path.join(RUN, 'pids', `${name}.pid`), String(pid));

  const ready = await Promise.all(SERVICES.map((s) => waitReady(`http://127.0.0.1:${s.port}/health/ready`, 90000)));
  const total = Date.now() - t0;
  const lines = SERVICES.map(
    (s, i) => `  ${s.name.padEnd(13)} http://127.0.0.1:${s.port}  (ready ${ready[i]} ms; /health/ready, /metrics; db ${s.database})`,
  );
  process.stdout.write(
    [
      '',
      `Platform up: six services healthy in ${(total / 1000).toFixed(1)} s (migrations + start).`,
      ...lines,
      `  kafka         127.0.0.1:${(process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(':')[1]}`,
      simulatorsStarted ? '  simulators    http://127.0.0.1:4010-4070 (calcom, retell, stripe, twilio, samedi, rates, translate)' : '  simulators    off (API keys set)',
      `  logs          ${path.relative(process.cwd(), path.join(RUN, 'logs'))}/<service>.log`,
      '  stop with     npm run stop',
      '',
    ].join('\n'),
  );
}

main().catch((error) => {
  process.stderr.write(`[up] ${error.message}\n`);
  process.exit(1);
});
