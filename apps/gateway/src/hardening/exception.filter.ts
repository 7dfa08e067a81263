import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { currentTraceId } from '@receptionist/observability';

/**
 * Every error is an RFC 9457 problem (`application/problem+json`: `type`, `title`, `status`, `detail`) that also keeps
 * the fields clients and tests read since the start (`statusCode`, `error`, `message` naming the field, `field`), and
 * lists every invalid field once in `errors`.
 */
export interface ErrorBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  statusCode: number;
  error: string;
  message: string | string[];
  errors?: { field: string; message: string }[];
  traceId?: string;
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Messages for errors whose own text is not ours to show (framework and parser errors). */
const GENERIC_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Request body is too large',
  415: 'Unsupported content type',
  500: 'Internal server error',
};
const HIDDEN_FIELDS = new Set(['statusCode', 'error', 'message', 'stack', 'cause', 'traceId', 'type', 'title', 'status', 'detail', 'errors', 'fields']);

/** The problem members of a body with the classic fields (no problem type registry of our own: `about:blank`). */
function problem(statusCode: number, error: string, message: string | string[]): ErrorBody {
  return { type: 'about:blank', title: error, status: statusCode, detail: Array.isArray(message) ? message.join('; ') : message, statusCode, error, message };
}

/** One entry per invalid field: the validation's own list, else the single `field` named with the message's text. */
function fieldErrors(fields: Record<string, unknown>, message: string | string[]): { field: string; message: string }[] | undefined {
  const list = fields.fields;
  if (Array.isArray(list) && list.every((f) => typeof f?.field === 'string' && typeof f?.message === 'string')) {
    return list.map((f: { field: string; message: string }) => ({ field: f.field, message: f.message }));
  }
  if (typeof fields.field !== 'string' || !fields.field) return undefined;
  const text = Array.isArray(message) ? message.join('; ') : message;
  return fields.field.split(',').map((field) => ({ field, message: text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text }));
}

/** The trace id of the request: the active span's, else the caller's traceparent, else a fresh one. */
export function traceIdFor(request?: FastifyRequest): string {
  const active = currentTraceId();
  if (active) return active;
  const traceparent = request?.headers?.traceparent;
  const match = typeof traceparent === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent) : null;
  if (match && !/^0+$/.test(match[1])) return match[1];
  return randomBytes(16).toString('hex');
}

/**
 * Turns anything thrown into `{statusCode, error, message}` (plus deliberate extra fields such as
 * `retryAfterSeconds`). Never a stack, an error class name or an internal message: a 500's detail goes to the log,
 * the client gets "Internal server error" and the trace id to quote.
 */
export function toErrorBody(exception: unknown): { body: ErrorBody; internal: boolean } {
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const reason = STATUS_CODES[statusCode] ?? 'Error';
    if (statusCode === 500 || statusCode < 400 || statusCode > 599) {
      return { body: problem(500, 'Internal Server Error', GENERIC_MESSAGES[500]), internal: true };
    }
    if (typeof response === 'string' || response === null || typeof response !== 'object') {
      // `new HttpException(text, status)`: how Nest wraps Fastify's own errors (body limit, media type, …)
      return { body: problem(statusCode, reason, GENERIC_MESSAGES[statusCode] ?? reason), internal: false };
    }
    const fields = response as Record<string, unknown>;
    const message = fields.message;
    const text = typeof message === 'string' || (Array.isArray(message) && message.every((m) => typeof m === 'string')) ? (message as string | string[]) : reason;
    const body = problem(statusCode, typeof fields.error === 'string' ? fields.error : reason, text);
    const errors = fieldErrors(fields, text);
    if (errors) body.errors = errors;
    for (const [key, value] of Object.entries(fields)) {
      // primitives, and lists of strings (e.g. the free start times offered instead of a taken slot)
      const strings = Array.isArray(value) && value.length <= 50 && value.every((v) => typeof v === 'string');
      if (!HIDDEN_FIELDS.has(key) && (strings || ['string', 'number', 'boolean'].includes(typeof value))) body[key] = value;
    }
    return { body, internal: false };
  }
  const status = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const reason = STATUS_CODES[status] ?? 'Error';
    return { body: problem(status, reason, GENERIC_MESSAGES[status] ?? reason), internal: false };
  }
  return { body: problem(500, 'Internal Server Error', GENERIC_MESSAGES[500]), internal: true };
}

/** The gateway's global exception filter (HTTP only). */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { body, internal } = toErrorBody(exception);
    const traceId = traceIdFor(request);
    body.traceId = traceId;
    if (internal) {
      this.logger.error(
        { err: exception, trace_id: traceId, method: request?.method, route: request?.routeOptions?.url },
        'unhandled error',
      );
    } else if (body.statusCode >= 500) {
      this.logger.warn({ trace_id: traceId, statusCode: body.statusCode, message: body.message }, 'request failed');
    }
    if (reply.sent) return;
    reply.header('x-trace-id', traceId);
    reply.header('content-type', PROBLEM_CONTENT_TYPE);
    reply.status(body.statusCode).send(body);
  }
}
