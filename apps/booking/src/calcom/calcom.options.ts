import type { Logger } from 'pino';
import type { BookingEnv } from '../config';
import type { CalcomClientOptions } from './calcom.client';

/** Client options from the validated environment (apps/booking/src/config.ts). */
export function calcomOptionsFromEnv(config: BookingEnv, logger?: Logger): CalcomClientOptions {
  return {
    baseUrl: config.CALCOM_BASE_URL,
    apiKey: config.CALCOM_API_KEY,
    teamSlug: config.CALCOM_TEAM_SLUG,
    bookingsApiVersion: config.CALCOM_API_VERSION,
    connectTimeoutMs: config.CALCOM_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: config.CALCOM_REQUEST_TIMEOUT_MS,
    breaker: { consecutiveFailures: config.CALCOM_BREAKER_FAILURES, halfOpenAfterMs: config.CALCOM_BREAKER_HALF_OPEN_MS },
    retry: { maxAttempts: config.CALCOM_RETRY_ATTEMPTS, baseDelayMs: config.CALCOM_RETRY_BASE_DELAY_MS },
    logger: logger?.child({ component: 'calcom' }),
  };
}

