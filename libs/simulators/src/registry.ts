import { calcomSimulator } from './providers/calcom';
import { ratesSimulator } from './providers/rates';
import { retellSimulator } from './providers/retell';
import { s3Simulator } from './providers/s3';
import { samediSimulator } from './providers/samedi';
import { slackSimulator } from './providers/slack';
import { smtpSimulator } from './providers/smtp';
import { stripeSimulator } from './providers/stripe';
import { translateSimulator } from './providers/translate';
import { twilioSimulator } from './providers/twilio';
import { RunningSimulator, Simulator, startSimulator } from './simulator';

/** Every simulator, in port order. A new provider is added here and nowhere else. */
export const SIMULATORS: readonly Simulator<any>[] = [
  calcomSimulator,
  retellSimulator,
  stripeSimulator,
  twilioSimulator,
  samediSimulator,
  ratesSimulator,
  translateSimulator,
  slackSimulator,
  s3Simulator,
  smtpSimulator,
];

/** `SIM_<NAME>_PORT`, e.g. SIM_CALCOM_PORT. */
export const portVariable = (name: string) => `SIM_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;

/** Thrown for a bad SIMULATORS list or port variable; the message names the variable. */
export class SimulatorConfigError extends Error {}

/** The simulators named in a comma-separated list (SIMULATORS=calcom,stripe), or all of them when it is empty. */
export function selectSimulators(list: string | undefined): Simulator<any>[] {
  const names = (list ?? '')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0) return [...SIMULATORS];
  const unknown = names.filter((n) => !SIMULATORS.some((s) => s.name === n));
  if (unknown.length) {
    throw new SimulatorConfigError(
      `SIMULATORS: unknown simulator(s) ${unknown.join(', ')}; known: ${SIMULATORS.map((s) => s.name).join(', ')}`,
    );
  }
  return SIMULATORS.filter((s) => names.includes(s.name));
}

/** The port from SIM_<NAME>_PORT or the default; 0 means any free port. */
export function portFor(simulator: Simulator<any>, env: NodeJS.ProcessEnv = process.env): number {
  const variable = portVariable(simulator.name);
  const raw = env[variable];
  if (raw === undefined || raw === '') return simulator.defaultPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SimulatorConfigError(`${variable}: must be a port number 0-65535, got "${raw}"`);
  }
  return port;
}

/**
 * Starts the given simulators, each on its own port. If one cannot start, those already started are closed
 * again and the error is rethrown, so a half-started set never lingers.
 */
export async function startSimulators(
  simulators: readonly Simulator<any>[],
  options: { host?: string; port?: (simulator: Simulator<any>) => number } = {},
): Promise<RunningSimulator[]> {
  const port = options.port ?? ((s) => portFor(s));
  const started: RunningSimulator[] = [];
  try {
    for (const simulator of simulators) started.push(await startSimulator(simulator, { host: options.host, port: port(simulator) }));
    return started;
  } catch (error) {
    await stopSimulators(started);
    throw error;
  }
}

export async function stopSimulators(running: readonly RunningSimulator[]): Promise<void> {
  await Promise.allSettled(running.map((s) => s.close()));
}
