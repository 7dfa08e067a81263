import { Counter } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Voice function calls answered by the gateway, by function (as normalised by voice-agent) and outcome. */
export const voiceFunctionCalls = () =>
  getOrCreateMetric('gateway_voice_function_calls_total', () =>
    new Counter({
      name: 'gateway_voice_function_calls_total',
      help: 'Retell function calls by route and outcome (ok, failed, fallback_timeout, fallback_unavailable, unknown_company, no_call_context)',
      labelNames: ['route', 'outcome'],
      registers: [registry],
    }),
  );

/** Requests refused before any work: missing or wrong signature/credential. */
export const retellAuthFailures = () =>
  getOrCreateMetric('gateway_retell_auth_failures_total', () =>
    new Counter({
      name: 'gateway_retell_auth_failures_total',
      help: 'Retell requests refused with 401 (missing or invalid signature or function secret)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  );

/** Retell call webhooks by event and outcome (accepted, accepted_unrouted, ignored, rejected). */
export const retellWebhooks = () =>
  getOrCreateMetric('gateway_retell_webhooks_total', () =>
    new Counter({
      name: 'gateway_retell_webhooks_total',
      help: 'Retell call webhooks received, by event and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
  );

/** Callbacks promised by the spoken fallback, by outcome (recorded, duplicate, pending, failed, no_number). */
export const callbackPromises = () =>
  getOrCreateMetric('gateway_callback_promises_total', () =>
    new Counter({
      name: 'gateway_callback_promises_total',
      help: 'Spoken fallbacks and the callback they promise: recorded (outbox), duplicate (a retried tool call), failed or no_number (no promise made)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  );
