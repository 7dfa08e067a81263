import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import { trace, context } from '@opentelemetry/api';
import { safeErrorSerializer } from './error-serializer';

/**
 * Paths that must never reach a log line. Headers carry credentials and webhook signatures;
 * bodies may carry secrets or personal data and are not logged by default.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-retell-signature"]',
  'req.headers["stripe-signature"]',
  'req.headers["x-twilio-signature"]',
  'req.headers["x-cal-signature-256"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  'password',
  'token',
  'secret',
];

/** Adds the active trace and span id to every line so a log line leads to its trace. */
function traceMixin() {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const ctx = span.spanContext();
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

export function createLogger(service: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return pino(
    {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // A failed query's values (customer data) never reach a log line: the statement's parameters, the driver's
    // formatted SQL and the values MySQL quotes in its messages are left out.
    serializers: { err: safeErrorSerializer, error: safeErrorSerializer },
    mixin: traceMixin,
    formatters: { level: (label) => ({ level: label }) },
    ...options,
    },
    destination ?? pino.destination(1),
  );
}

export type { Logger };
