import type { BookingErrorCode } from '@receptionist/contracts';

/**
 * An expected refusal (unknown service, slot taken, policy, calendar down …). Services throw it; the request
 * responder turns it into `{ok:false, code, detail, data}` and never lets it reach the caller as an exception.
 */
export class BookingFailure extends Error {
  override readonly name = 'BookingFailure';
  constructor(
    readonly code: BookingErrorCode,
    readonly detail: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(`${code}: ${detail}`);
  }
}
