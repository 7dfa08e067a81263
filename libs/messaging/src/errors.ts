/** A message that can never succeed (bad schema, impossible data): goes straight to the dead-letter topic. */
export class PermanentMessageError extends Error {
  constructor(message: string, readonly reason: string = 'permanent') {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/** No reply arrived before the request's deadline. */
export class RequestTimeoutError extends Error {
  constructor(readonly topic: string, readonly timeoutMs: number, readonly correlationId: string) {
    super(`no reply on ${topic} within ${timeoutMs} ms (correlation ${correlationId})`);
    this.name = 'RequestTimeoutError';
  }
}

/** The responder answered with an error. */
export class RemoteHandlerError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RemoteHandlerError';
  }
}

export const isDuplicateKeyError = (error: unknown): boolean =>
  (error as { errno?: number; driverError?: { errno?: number } })?.errno === 1062 ||
  (error as { driverError?: { errno?: number } })?.driverError?.errno === 1062;

/** A failure that will pass by itself (a dependency down or overloaded): the message is retried, never dead-lettered. */
export class TransientMessageError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'TransientMessageError';
  }
}

// MariaDB/MySQL: lock wait timeout, deadlock, too many connections, server shutting down, connection killed,
// read-only (fail-over), and the client's "cannot connect / lost the server" codes.
const TRANSIENT_ERRNOS = new Set([1205, 1213, 1040, 1053, 1927, 1290, 2002, 2003, 2006, 2013, 2055]);
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);
const TRANSIENT_NAMES = new Set(['BrokenCircuitError', 'TimeoutError', 'MaxRetriesPerRequestError', 'TaskCancelledError']);
const TRANSIENT_MESSAGES =
  /Connection is closed|Stream isn't writeable|connect ECONNREFUSED|Connection lost|Too many connections|Deadlock found|Lock wait timeout|Can't add new command when connection is in closed state|Pool is closed|Connection terminated|socket hang up|fetch failed/i;

type ErrorLike = {
  name?: string;
  message?: string;
  code?: unknown;
  errno?: unknown;
  status?: unknown;
  statusCode?: unknown;
  transient?: unknown;
  retriable?: unknown;
  cause?: unknown;
  driverError?: unknown;
  originalError?: unknown;
  response?: { status?: unknown };
};

/**
 * Whether a handler's failure is one that passes by itself: the database unreachable or restarting, a deadlock or
 * lock wait timeout, too many connections, Redis unavailable, a provider's 429 or 5xx, a network error, an open
 * circuit. Looks through wrapped causes (TypeORM's driverError, `cause`). Anything else (validation, unknown schema
 * version, a bug) is not transient and ends in the dead-letter topic after a few tries.
 */
export function isTransientError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length) {
    const e = queue.shift() as ErrorLike | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof PermanentMessageError) return false;
    if (e instanceof TransientMessageError || e.transient === true) return true;
    if (typeof e.errno === 'number' && TRANSIENT_ERRNOS.has(e.errno)) return true;
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
    if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
    if (e.name?.startsWith('KafkaJS') && e.retriable === true) return true;
    const status = Number(e.status ?? e.statusCode ?? e.response?.status);
    if (status === 429 || (status >= 500 && status <= 599)) return true;
    if (e.message && TRANSIENT_MESSAGES.test(e.message)) return true;
    queue.push(e.cause, e.driverError, e.originalError);
    if (Array.isArray((e as { errors?: unknown[] }).errors)) queue.push(...(e as { errors: unknown[] }).errors);
  }
  return false;
}
