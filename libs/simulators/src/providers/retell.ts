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
 *
 * Around the steps it sends the call webhooks to `<baseUrl><webhookRoute>` (default `/api/webhooks/retell`), signed
 * the same way and retried up to 3 times on a non-2xx answer like Retell: `call_started` before the first step,
 * then `call_ended` (transcript, `transcript_object`, `duration_ms`, `disconnection_reason`, `recording_url`,
 * `call_cost`) and `call_analyzed` (the call plus `call_analysis`). `webhooks: false` leaves them out. The recording
 * is a small generated WAV served at `GET /recordings/<callId>.wav` (`recording_url` uses the simulator's own
 * address, or `recordingBaseUrl`). `durationMs` fixes the call's length (default: the time the steps took) and
 * `analysisData` the agent's custom analysis. The answer lists each webhook sent with its status and payload.
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
  webhooks: z.boolean().default(true),
  webhookRoute: z.string().startsWith('/').default('/api/webhooks/retell'),
  durationMs: z.number().int().min(0).max(4 * 3600_000).optional(),
  disconnectionReason: z.string().min(1).max(64).default('user_hangup'),
  analysisData: z.record(z.string(), z.unknown()).default({}),
  /** Seconds of audio in the generated recording (default: the call's length, 1–5 s). */
  recordingSeconds: z.number().int().min(1).max(120).optional(),
  recordingBaseUrl: z.url().optional(),
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
  transcript_object?: { role: 'agent' | 'user'; content: string; words: { word: string; start: number; end: number }[] }[];
  duration_ms?: number;
  disconnection_reason?: string;
  recording_url?: string;
  call_cost?: { product_costs: { product: string; unit_price: number; cost: number }[]; total_duration_seconds: number; total_duration_unit_price: number; combined_cost: number };
  call_analysis?: { call_summary: string; user_sentiment: string; call_successful: boolean; in_voicemail: boolean; custom_analysis_data: Record<string, unknown> };
}

export interface RetellState extends SimulatorState {
  calls: Map<string, SimulatedCall>;
  /** Seconds of audio of each call's recording (generated when fetched). */
  recordings: Map<string, number>;
}

/** A PCM WAV (8 kHz, mono, 16 bit) with a quiet 440 Hz tone: what a recording download returns. */
export function generateWav(seconds: number): Buffer {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return wav;
}

/** Utterances as Retell's `transcript_object`, with word timings one after the other. */
function transcriptObject(lines: { role: 'agent' | 'user'; content: string }[]): NonNullable<SimulatedCall['transcript_object']> {
  let t = 0;
  return lines.map(({ role, content }) => {
    const words = content.split(/\s+/).filter(Boolean).map((word) => {
      const w = { word, start: Math.round(t * 100) / 100, end: Math.round((t + 0.3) * 100) / 100 };
      t += 0.35;
      return w;
    });
    t += 0.8;
    return { role, content, words };
  });
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
    const recordings = new Map<string, number>();
    return {
      calls,
      recordings,
      reset: () => {
        calls.clear();
        recordings.clear();
      },
    };
  },
  register: (app: FastifyInstance, state: RetellState) => {
    app.get<{ Params: { id: string } }>('/v2/get-call/:id', async (request, reply) => {
      const call = state.calls.get(request.params.id);
      if (!call) return reply.code(404).send({ status: 'error', message: 'Call not found' });
      return call;
    });

    app.get<{ Params: { file: string } }>('/recordings/:file', async (request, reply) => {
      const callId = /^(.+)\.wav$/.exec(request.params.file)?.[1];
      const seconds = callId ? state.recordings.get(callId) : undefined;
      if (!seconds) return reply.code(404).send({ status: 'error', message: 'Recording not found' });
      const wav = generateWav(seconds);
      return reply.header('content-type', 'audio/wav').header('content-length', String(wav.length)).send(wav);
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
      const webhookUrl = `${base}${input.webhookRoute}`;
      const webhooks: { event: string; status: number; attempts: number; payload: unknown }[] = [];
      const sendWebhook = async (event: string, payload: Record<string, unknown>) => {
        const body = { event, call: payload };
        let result = await post(webhookUrl, body, apiKey, 10_000);
        let attempts = 1;
        // Retell retries a webhook without a 2xx answer up to 3 times.
        while ((result.status < 200 || result.status >= 300) && attempts < 4) {
          attempts += 1;
          result = await post(webhookUrl, body, apiKey, 10_000);
        }
        webhooks.push({ event, status: result.status, attempts, payload: body });
      };
      const { transcript: _t, ...startedCall } = call;
      if (input.webhooks) await sendWebhook('call_started', { ...startedCall, call_type: 'phone_call' });

      const lines: { role: 'agent' | 'user'; content: string }[] = [{ role: 'agent', content: variables.greeting ?? 'Guten Tag, wie kann ich Ihnen helfen?' }];
      const steps = [];
      for (const step of input.steps) {
        const args = resolveArgs(step.args, steps.map((s) => s.body));
        // With args_at_root the body is only the arguments; the agent passes `call_id: {{call_id}}` among them (the
        // platform routes only by the signed body, never by X-Retell-* headers).
        const body = input.argsAtRoot ? { call_id: call.call_id, ...args } : { name: step.name, call: { ...call }, args };
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
        lines.push({ role: 'user', content: `(${step.name}) ${Object.values(args).filter((v) => typeof v === 'string').join(' ')}`.trim() });
        lines.push({ role: 'agent', content: typeof message === 'string' ? message : 'Einen Moment bitte.' });
        steps.push({ name: step.name, attempts, ...result });
      }
      call.call_status = 'ended';
      call.end_timestamp = Date.now();
      if (input.durationMs !== undefined) call.start_timestamp = call.end_timestamp - input.durationMs;
      const durationMs = call.end_timestamp - call.start_timestamp;
      const seconds = durationMs / 1000;
      call.duration_ms = durationMs;
      call.disconnection_reason = input.disconnectionReason;
      call.transcript_object = transcriptObject(lines);
      call.transcript = lines.map((l) => `${l.role === 'agent' ? 'Agent' : 'User'}: ${l.content}`).join('\n') + '\n';
      const ownUrl = input.recordingBaseUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;
      state.recordings.set(call.call_id, input.recordingSeconds ?? Math.min(5, Math.max(1, Math.ceil(seconds))));
      call.recording_url = `${ownUrl}/recordings/${call.call_id}.wav`;
      // Retell bills per second; `combined_cost` is in cents (here 7 ct a minute for the voice engine).
      const cost = Math.round(((seconds / 60) * 7) * 1000) / 1000;
      call.call_cost = {
        product_costs: [{ product: 'retell_voice_engine', unit_price: 7 / 60, cost }],
        total_duration_seconds: Math.ceil(seconds),
        total_duration_unit_price: 7 / 60,
        combined_cost: cost,
      };
      const { call_analysis: _none, ...ended } = call;
      if (input.webhooks) await sendWebhook('call_ended', { ...ended, call_type: 'phone_call' });
      call.call_analysis = {
        call_summary: `Der Anrufer hat ${steps.length} Anliegen mit dem Agenten besprochen (${steps.map((st) => st.name).join(', ') || 'keine Funktionen'}).`,
        user_sentiment: steps.every((st) => (st.body as any)?.success !== false) ? 'Positive' : 'Neutral',
        call_successful: steps.every((st) => st.status >= 200 && st.status < 300),
        in_voicemail: false,
        custom_analysis_data: input.analysisData,
      };
      if (input.webhooks) await sendWebhook('call_analyzed', { ...call, call_type: 'phone_call' });
      return { call, inbound, steps, webhooks };
    });
  },
  error: (statusCode, message) => ({ statusCode, body: { status: 'error', message } }),
};
