/**
 * The simulator pattern: each outside API (Cal.com, Retell, Stripe, …) is a `Simulator` definition — its name,
 * default port, in-memory state and the routes of its real wire format — run on its own plain Fastify instance
 * so the production SDKs can be pointed at `http://127.0.0.1:<port>` unchanged.
 *
 * Every simulator also gets the same test controls under `/__sim` (never part of a real API, so they cannot
 * clash with provider paths):
 *   GET  /__sim/health     liveness, plus the current fault mode
 *   POST /__sim/reset      state.reset(), clears the request log, faults back to normal
 *   POST /__sim/faults     { mode: 'normal' | 'down' | 'slow', delayMs? }: outage (503) or latency injection
 *   GET  /__sim/faults     the current fault setting
 *   GET  /__sim/requests   the last 200 provider requests (method, path, query, headers, body, status)
 */
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

/** In-memory provider state. `reset()` must return it to what a fresh start would give. */
export interface SimulatorState {
  reset(): void;
}

/** An error as the provider would send it; used for unknown routes (404) and simulated outages (503). */
export interface ProviderError {
  statusCode: number;
  body: unknown;
}

export interface Simulator<S extends SimulatorState = SimulatorState> {
  /** Short lower-case name: selects it in SIMULATORS=… and names its port variable SIM_<NAME>_PORT. */
  name: string;
  defaultPort: number;
  /** A fresh state per running instance, so tests starting their own simulators never share data. */
  createState(): S;
  /** Registers the provider's routes. Paths and payloads follow the real API (see ../shared/reference/domain.md). */
  register(app: FastifyInstance, state: S): void | Promise<void>;
  /** The provider's own error body for a status code, so clients exercise their real error parsing. */
  error(statusCode: number, message: string, request: FastifyRequest): ProviderError;
  /**
   * A second, non-HTTP listener (the SMTP simulator's mail port), started after the HTTP API listens and closed
   * with it. `httpPort` is the port asked for: 0 (tests) means the side listener also takes a free port.
   */
  listen?(state: S, options: SideListenOptions): Promise<SideListener>;
}

export interface SideListenOptions {
  host: string;
  httpPort: number;
  /** The current fault setting, so a side listener can refuse work while 'down' like the HTTP routes do. */
  fault(): FaultSetting;
}

export interface SideListener {
  close(): Promise<void>;
}

export type FaultMode = 'normal' | 'down' | 'slow';
export interface FaultSetting {
  mode: FaultMode;
  /** Added latency in 'slow' mode. */
  delayMs: number;
}

export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Status the simulator answered with (503 while down, 404 for unknown routes, …). */
  statusCode: number;
}

export interface RunningSimulator<S extends SimulatorState = SimulatorState> {
  name: string;
  port: number;
  url: string;
  app: FastifyInstance;
  state: S;
  /** Same operations as the HTTP controls, for tests running the simulator in-process. */
  requests(): RecordedRequest[];
  setFault(fault: { mode: FaultMode; delayMs?: number }): FaultSetting;
  reset(): void;
  close(): Promise<void>;
}

export const CONTROL_PREFIX = '/__sim';
export const REQUEST_LOG_SIZE = 200;
const DEFAULT_SLOW_DELAY_MS = 2000;
/** Upper bound so a forgotten 'slow' setting cannot hold a client (or shutdown) for ever. */
const MAX_DELAY_MS = 120_000;

/** Headers carrying credentials. The scheme is kept (tests may assert Bearer vs Basic), the secret never is. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-cal-secret-key', 'cookie']);

export function redactHeaders(headers: FastifyRequest['headers']): RecordedRequest['headers'] {
  const out: RecordedRequest['headers'] = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADERS.has(name.toLowerCase())) {
      out[name] = value;
      continue;
    }
    const first = Array.isArray(value) ? value[0] : value;
    const scheme = /^(\w+)\s+\S/.exec(first ?? '')?.[1];
    out[name] = scheme ? `${scheme} [redacted]` : '[redacted]';
  }
  return out;
}

const faultBody = z.object({
  mode: z.enum(['normal', 'down', 'slow']),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
});

/** Form bodies (Stripe, Twilio and LibreTranslate accept them) as a flat object; repeated keys become arrays. */
export function parseForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

function isControl(url: string): boolean {
  return url === CONTROL_PREFIX || url.startsWith(`${CONTROL_PREFIX}/`) || url.startsWith(`${CONTROL_PREFIX}?`);
}

/** Builds the Fastify app for one simulator (not listening yet): controls, fault injection, request log, routes. */
export async function buildSimulator<S extends SimulatorState>(
  definition: Simulator<S>,
): Promise<Omit<RunningSimulator<S>, 'port' | 'url' | 'close'> & { shutdown: AbortController; fault(): FaultSetting }> {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
  const state = definition.createState();
  const log: RecordedRequest[] = [];
  let fault: FaultSetting = { mode: 'normal', delayMs: 0 };
  // Aborted on close, so requests sleeping in 'slow' mode do not hold the shutdown.
  const shutdown = new AbortController();

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, parseForm(body as string)),
  );
  // Anything else is kept as text: a simulator must record what it was sent, not reject it.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const setFault = (next: { mode: FaultMode; delayMs?: number }): FaultSetting => {
    fault = {
      mode: next.mode,
      delayMs: next.mode === 'slow' ? Math.min(next.delayMs ?? DEFAULT_SLOW_DELAY_MS, MAX_DELAY_MS) : 0,
    };
    return fault;
  };
  const reset = () => {
    state.reset();
    log.length = 0;
    setFault({ mode: 'normal' });
  };

  // Faults apply after body parsing (preHandler) so that requests refused while 'down' still show up in the log
  // with their body; root-level hooks also run for the not-found handler.
  app.addHook('preHandler', async (request, reply) => {
    if (isControl(request.url)) return;
    if (fault.mode === 'down') {
      const err = definition.error(503, 'Service temporarily unavailable (simulated outage)', request);
      return reply.code(err.statusCode).send(err.body);
    }
    if (fault.mode === 'slow' && fault.delayMs > 0) {
      try {
        await sleep(fault.delayMs, undefined, { signal: shutdown.signal });
      } catch {
        const err = definition.error(503, 'Simulator shutting down', request);
        return reply.code(err.statusCode).send(err.body);
      }
    }
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    if (isControl(request.url)) return;
    log.push({
      at: new Date().toISOString(),
      method: request.method,
      path: request.url.split('?')[0],
      query: { ...(request.query as Record<string, unknown>) },
      headers: redactHeaders(request.headers),
      body: request.body ?? null,
      statusCode: reply.statusCode,
    });
    if (log.length > REQUEST_LOG_SIZE) log.splice(0, log.length - REQUEST_LOG_SIZE);
  });

  app.get(`${CONTROL_PREFIX}/health`, async () => ({ status: 'ok', simulator: definition.name, fault: fault.mode }));
  app.post(`${CONTROL_PREFIX}/reset`, async () => {
    reset();
    return { status: 'reset', simulator: definition.name };
  });
  app.get(`${CONTROL_PREFIX}/faults`, async () => fault);
  app.post(`${CONTROL_PREFIX}/faults`, async (request, reply) => {
    const parsed = faultBody.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({ error: 'body must be { mode: "normal" | "down" | "slow", delayMs?: 0..120000 }' });
    }
    return setFault(parsed.data);
  });
  app.get(`${CONTROL_PREFIX}/requests`, async () => ({ simulator: definition.name, requests: log }));

  app.setNotFoundHandler((request, reply) => {
    const err = definition.error(404, `Cannot ${request.method} ${request.url.split('?')[0]}`, request);
    return reply.code(err.statusCode).send(err.body);
  });

  await definition.register(app, state);

  return { name: definition.name, app, state, requests: () => [...log], setFault, reset, shutdown, fault: () => fault };
}

/** Starts one simulator. `port: 0` picks a free port (tests); the bound port is in the result. */
export async function startSimulator<S extends SimulatorState>(
  definition: Simulator<S>,
  options: { port?: number; host?: string } = {},
): Promise<RunningSimulator<S>> {
  const host = options.host ?? '127.0.0.1';
  const built = await buildSimulator(definition);
  const { shutdown, app, fault, ...rest } = built;
  const httpPort = options.port ?? definition.defaultPort;
  let side: SideListener | null = null;
  try {
    await app.listen({ port: httpPort, host });
    if (definition.listen) side = await definition.listen(built.state, { host, httpPort, fault });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw new Error(`${definition.name} simulator could not listen on ${host}:${httpPort}: ${(error as Error).message}`);
  }
  const port = (app.server.address() as AddressInfo).port;
  // 0.0.0.0 (containers) is reachable as 127.0.0.1 from the same host; print something one can paste.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    ...rest,
    app,
    port,
    url: `http://${urlHost}:${port}`,
    close: async () => {
      shutdown.abort();
      await Promise.all([app.close(), side?.close()]);
    },
  };
}

/** State for simulators whose business endpoints are not built yet. */
export function emptyState(): SimulatorState {
  return { reset: () => undefined };
}
