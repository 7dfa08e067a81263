import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';

/**
 * Retell AI simulator. Retell is the one outside service that calls *us*: during a phone call its agent calls our
 * custom functions and, while the phone rings, our inbound call webhook. So besides the API (`GET /v2/get-call/:id`)
 * the simulator can place a scripted call:
 *
 *   POST /__sim/retell/calls  { agentId, fromNumber, toNumber, baseUrl, steps: [{ name, args, route? }], argsAtRoot? }
 *
 * It sends `call_inbound` to `<baseUrl>/api/webhooks/retell/inbound`, then each step as a tool call
 * (`{name, call, args}`, or the bare args with `argsAtRoot`) to `<baseUrl><route>` (default the dispatcher
 * `/api/webhooks/retell/function`), every request signed as Retell signs (`x-retell-signature: v=<ms>,d=<hex
 * HMAC-SHA256(apiKey, body + ms)>`, key SIM_RETELL_API_KEY or the request's `apiKey`). Like Retell it retries a
 * failed tool call up to twice with the same body, and gives up on a step after `timeoutMs` (Retell's tool timeout).
 * The answer lists every step with status, body and latency. A step's string arguments may refer to earlier answers,
 * as the agent's LLM would use them: `{{steps.1.data.options.0.start}}` is that value of step 1's reply body.
 */

const stepSchema = z.object({
  name: z.string().min(1),
  args: z.record(z.string(), z.unknown()).default({}),
  /** Dedicated route such as `/api/retell/book-appointment` instead of the dispatcher. */
  route: z.string().startsWith('/').optional(),
});
const callSchema = z.object({
  agentId: z.string().min(1),
  fromNumber: z.string().min(1),
  toNumber: z.string().min(1),
  baseUrl: z.url(),
  apiKey: z.string().min(1).optional(),
  argsAtRoot: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  steps: z.array(stepSchema).max(50).default([]),
});

export interface SimulatedCall {
  call_id: string;
  agent_id: string;
  from_number: string;
  to_number: string;
  direction: 'inbound';
  call_status: 'registered' | 'ongoing' | 'ended';
  start_timestamp: number;
  end_timestamp?: number;
  transcript: string;
  retell_llm_dynamic_variables: Record<string, string>;
}

export interface RetellState extends SimulatorState {
  calls: Map<string, SimulatedCall>;
}

/** Replaces `{{steps.<i>.<path>}}` in string arguments with values from earlier replies (the LLM's memory). */
export function resolveArgs(args: Record<string, unknown>, replies: unknown[]): Record<string, unknown> {
  const lookup = (expr: string): unknown => {
    const parts = expr.trim().split('.');
    if (parts[0] !== 'steps') return undefined;
    let value: unknown = replies[Number(parts[1])];
    for (const part of parts.slice(2)) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    return value;
  };
  return Object.fromEntries(
    Object.entries(args).map(([k, v]) => {
      if (typeof v !== 'string') return [k, v];
      const whole = /^\{\{([^}]+)\}\}$/.exec(v);
      if (whole) return [k, lookup(whole[1])];
      return [k, v.replace(/\{\{([^}]+)\}\}/g, (_m, expr: string) => String(lookup(expr) ?? ''))];
    }),
  );
}

export function signLikeRetell(body: string, apiKey: string, now = Date.now()): string {
  return `v=${now},d=${createHmac('sha256', apiKey).update(body + String(now)).digest('hex')}`;
}

async function post(url: string, body: unknown, apiKey: string, timeoutMs: number) {
  const raw = JSON.stringify(body);
  const started = Date.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(raw, apiKey) },
      body: raw,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* Retell passes non-JSON answers to the LLM as text */
    }
    return { status: res.status, body: parsed, latencyMs: Date.now() - started };
  } catch (error) {
    return { status: 0, body: { error: (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' }, latencyMs: Date.now() - started };
  }
}

export const retellSimulator: Simulator<RetellState> = {
  name: 'retell',
  defaultPort: 4020,
  createState: () => {
    const calls = new Map<string, SimulatedCall>();
    return { calls, reset: () => calls.clear() };
  },
  register: (app: FastifyInstance, state: RetellState) => {
    app.get<{ Params: { id: string } }>('/v2/get-call/:id', async (request, reply) => {
      const call = state.calls.get(request.params.id);
      if (!call) return reply.code(404).send({ status: 'error', message: 'Call not found' });
      return call;
    });

    app.post(`${CONTROL_PREFIX}/retell/calls`, async (request, reply) => {
      const parsed = callSchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ status: 'error', message: z.prettifyError(parsed.error) });
      const input = parsed.data;
      const apiKey = input.apiKey ?? process.env.SIM_RETELL_API_KEY;
      if (!apiKey) return reply.code(400).send({ status: 'error', message: 'apiKey (or SIM_RETELL_API_KEY) is required to sign requests' });
      const base = input.baseUrl.replace(/\/$/, '');

      const inbound = await post(
        `${base}/api/webhooks/retell/inbound`,
        { event: 'call_inbound', call_inbound: { agent_id: input.agentId, from_number: input.fromNumber, to_number: input.toNumber } },
        apiKey,
        10_000,
      );
      const variables = ((inbound.body as any)?.call_inbound?.dynamic_variables ?? {}) as Record<string, string>;
      const call: SimulatedCall = {
        call_id: `call_${randomBytes(12).toString('hex')}`,
        agent_id: input.agentId,
        from_number: input.fromNumber,
        to_number: input.toNumber,
        direction: 'inbound',
        call_status: 'ongoing',
        start_timestamp: Date.now(),
        transcript: '',
        retell_llm_dynamic_variables: variables,
      };
      state.calls.set(call.call_id, call);

      const steps = [];
      for (const step of input.steps) {
        const args = resolveArgs(step.args, steps.map((s) => s.body));
        const body = input.argsAtRoot ? args : { name: step.name, call: { ...call }, args };
        const url = `${base}${step.route ?? '/api/webhooks/retell/function'}`;
        let result = await post(url, body, apiKey, input.timeoutMs);
        let attempts = 1;
        // Retell retries a failed tool call up to twice, with the same body.
        while ((result.status < 200 || result.status >= 300) && result.status !== 401 && attempts < 3) {
          attempts += 1;
          result = await post(url, body, apiKey, input.timeoutMs);
        }
        const message = (result.body as any)?.message;
        call.transcript += `Agent: [${step.name}] ${typeof message === 'string' ? message : JSON.stringify(result.body)}\n`;
        steps.push({ name: step.name, attempts, ...result });
      }
      call.call_status = 'ended';
      call.end_timestamp = Date.now();
      return { call, inbound, steps };
    });
  },
  error: (statusCode, message) => ({ statusCode, body: { status: 'error', message } }),
};
