/**
 * Two kinds of failure, because callers react differently:
 * - `CalcomApiError`: Cal.com answered and said no (4xx: validation, not found, slot taken). The call itself worked;
 *   the breaker does not count it and nothing is retried.
 * - `CalcomUnavailableError`: Cal.com could not answer (breaker open, timeout, network, 5xx, 429, or a response we
 *   cannot read). The voice agent speaks its fallback and records a callback request.
 */
export class CalcomApiError extends Error {
  override readonly name = 'CalcomApiError';
  constructor(
    readonly operation: string,
    readonly statusCode: number,
    /** Cal.com's `error.code`, e.g. BadRequestException. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /**
   * The slot was taken or is outside availability. API v2 answers 400 "User either already has booking at this
   * time or is not available" (mapped from `no_available_users_found_error`); 409 is accepted too, defensively.
   */
  get isSlotUnavailable(): boolean {
    return (this.statusCode === 400 || this.statusCode === 409) && /already has booking|not available|no_available_users/i.test(this.message);
  }

  get isNotFound(): boolean {
    return this.statusCode === 404;
  }
}

export type CalcomUnavailableReason =
  | 'circuit_open'
  | 'timeout'
  | 'network'
  | 'server_error'
  | 'rate_limited'
  | 'invalid_response'
  | 'aborted'
  | 'not_configured';

export class CalcomUnavailableError extends Error {
  override readonly name = 'CalcomUnavailableError';
  constructor(
    readonly operation: string,
    readonly reason: CalcomUnavailableReason,
    message: string,
    options: { cause?: unknown; statusCode?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
  readonly statusCode?: number;
  readonly retryAfterSeconds?: number;

  /** Failures that say "Cal.com is unhealthy" and so feed the circuit breaker. */
  get countsAsOutage(): boolean {
    return this.reason === 'timeout' || this.reason === 'network' || this.reason === 'server_error';
  }

  /**
   * Worth another attempt (for GETs only). Timeouts are not: a call that already waited the full request timeout
   * would push the answer past the caller's deadline (Retell waits at most ~8 s).
   */
  get retryable(): boolean {
    return this.reason === 'network' || this.reason === 'server_error' || this.reason === 'rate_limited';
  }
}
