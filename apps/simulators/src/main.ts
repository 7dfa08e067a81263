/**
 * Runs the outside-API simulators in one process, each provider on its own port (defaults 4010-4070, overridable
 * with SIM_<NAME>_PORT). SIMULATORS=calcom,stripe starts only those; SIM_HOST (default 127.0.0.1) is the bind
 * address (0.0.0.0 in containers). Prints one line per simulator; SIGTERM/SIGINT close them and exit 0.
 */
import { SIMULATORS, portFor, selectSimulators, startSimulators, stopSimulators } from '@receptionist/simulators';
import type { RunningSimulator } from '@receptionist/simulators';

async function main(): Promise<void> {
  const selected = selectSimulators(process.env.SIMULATORS);
  const ports = new Map(selected.map((s) => [s.name, portFor(s)]));
  const running: RunningSimulator[] = await startSimulators(selected, {
    host: process.env.SIM_HOST || '127.0.0.1',
    port: (s) => ports.get(s.name)!,
  });

  const width = Math.max(...SIMULATORS.map((s) => s.name.length));
  for (const sim of running) process.stdout.write(`[simulators] ${sim.name.padEnd(width)}  ${sim.url}\n`);

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      // Slow-mode sleeps are aborted on close, so this only waits for requests being answered right now.
      const force = setTimeout(() => {
        process.stderr.write('[simulators] shutdown took too long; exiting\n');
        process.exit(1);
      }, 5000);
      force.unref();
      void stopSimulators(running).then(() => {
        process.stdout.write(`[simulators] stopped (${signal})\n`);
        process.exit(0);
      });
    });
  }
}

main().catch((error: unknown) => {
  // Configuration and listen errors already name the variable or port; a stack would only hide that.
  process.stderr.write(`[simulators] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
