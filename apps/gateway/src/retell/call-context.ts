import type { FastifyRequest } from 'fastify';

/** Placeholders agents put in `call_id` when they have none; never looked up. */
const PLACEHOLDER_CALL_ID = /^(none|null|undefined|current|current_call|dummy_call_id|call_id|\{\{.*\}\}|\d{1,12})$/i;

export interface RetellInvocation {
  /** Function name as sent (`name`/`function_name`) or fixed by the route; normalised by voice-agent. */
  function: string | null;
  args: Record<string, unknown>;
  call: Record<string, unknown> | null;
  callId: string | null;
  agentId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  /** The signed body was not a JSON object (answered with a spoken "please repeat"). */
  unreadable?: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/**
 * Reads a Retell tool call in every shape agents send: `{name, call, args}`, `{function_name, parameters |
 * arguments, call}`, or (tool option `args_at_root`) the bare arguments. Everything that routes the call (call id,
 * agent id, numbers) comes from the body only, which Retell's signature covers: headers and query parameters are
 * not signed, so a captured request re-sent with another agent's id in a header must not reach that agent's
 * company. Bare arguments carry the call only as a `call_id` argument (the agent's `{{call_id}}`), found again by
 * its exact id.
 */
export function readInvocation(request: FastifyRequest, fixedFunction: string | null): RetellInvocation {
  const body = obj(request.body) ?? {};
  const call = obj(body.call);
  const wrapped = call !== null || 'args' in body || 'parameters' in body || 'arguments' in body || (!fixedFunction && ('name' in body || 'function_name' in body));
  const args = wrapped ? (obj(body.args) ?? obj(body.parameters) ?? obj(body.arguments) ?? {}) : { ...body };
  const fn = fixedFunction ?? str(body.name) ?? str(body.function_name);

  const argCallId = str(args.call_id);
  const callId = str(call?.call_id) ?? (argCallId && !PLACEHOLDER_CALL_ID.test(argCallId) ? argCallId : null);
  return {
    function: fn,
    args,
    call,
    callId: callId && !PLACEHOLDER_CALL_ID.test(callId) ? callId : null,
    agentId: str(call?.agent_id),
    fromNumber: str(call?.from_number),
    toNumber: str(call?.to_number),
  };
}

/** Route marker for Retell's inbound call webhook (`call_inbound`, no call id yet). */
export const INBOUND_CALL = 'call_inbound';

/** `{event: 'call_inbound', call_inbound: {agent_id?, from_number, to_number}}`: the phone is still ringing. */
export function readInboundCall(request: FastifyRequest): RetellInvocation {
  const body = obj(request.body) ?? {};
  const inbound = obj(body.call_inbound) ?? {};
  return {
    function: str(body.event) === INBOUND_CALL ? 'initialize_call' : null,
    args: {},
    call: null,
    callId: null,
    agentId: str(inbound.agent_id),
    fromNumber: str(inbound.from_number),
    toNumber: str(inbound.to_number),
  };
}
