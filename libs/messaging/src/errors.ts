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
