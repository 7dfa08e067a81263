import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import twilio from 'twilio';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { NotificationEnv } from '../config';
import { twilioRequestDuration } from '../notification.metrics';

export interface OutgoingMessage {
  /** `+E.164` or `whatsapp:+E.164`. */
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
}

export type SendOutcome =
  | { ok: true; sid: string; status: string }
  /** `transient`: worth another attempt later (429, 5xx, timeouts, network). */
  | { ok: false; transient: boolean; code: string | null; message: string; httpStatus: number | null };

/**
 * Twilio error codes that will never succeed for this recipient/sender: invalid or non-mobile number, unsubscribed
 * recipient, bad sender, mixed channels, body too long, region not enabled. Everything else from a 4xx is also
 * permanent (the request itself is wrong); only 429 and 5xx are retried.
 */
export const PERMANENT_TWILIO_CODES = new Set(['21211', '21212', '21408', '21602', '21603', '21604', '21610', '21612', '21614', '21617', '21910', '63016']);
/** The recipient replied STOP to this sender. */
export const UNSUBSCRIBED_RECIPIENT = '21610';

/**
 * The official `twilio` SDK pointed at TWILIO_API_BASE (the simulator locally and in tests): the Api domain's
 * `baseUrl` is public and the host is kept as given when no region/edge is set. The SDK's own retry is off: our
 * retries are scheduled in the database, so they survive restarts and do not hold a sending slot.
 */
@Injectable()
export class TwilioMessenger {
  private readonly client: twilio.Twilio | null;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: NotificationEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    if (config.TWILIO_SID && config.TWILIO_AUTH_TOKEN) {
      this.client = twilio(config.TWILIO_SID, config.TWILIO_AUTH_TOKEN, { autoRetry: false, timeout: config.TWILIO_TIMEOUT_MS, keepAlive: true });
      this.client.api.baseUrl = config.TWILIO_API_BASE;
    } else {
      this.client = null;
      logger.warn('TWILIO_SID / TWILIO_AUTH_TOKEN not set: no message will be sent');
    }
  }

  get configured(): boolean {
    return this.client !== null;
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    if (!this.client) return { ok: false, transient: true, code: null, message: 'Twilio is not configured', httpStatus: null };
    const started = process.hrtime.bigint();
    let label = 'error';
    try {
      const created = await this.client.messages.create({
        to: message.to,
        from: message.from,
        body: message.body,
        ...(message.statusCallback ? { statusCallback: message.statusCallback } : {}),
      });
      label = '201';
      return { ok: true, sid: created.sid, status: created.status };
    } catch (error) {
      const e = error as { status?: number; code?: number | string; message?: string };
      if (typeof e.status === 'number') {
        label = String(e.status);
        const code = e.code === undefined || e.code === null ? null : String(e.code);
        const transient = e.status === 429 || e.status >= 500;
        return { ok: false, transient: transient && !(code && PERMANENT_TWILIO_CODES.has(code)), code, message: e.message ?? `HTTP ${e.status}`, httpStatus: e.status };
      }
      // No HTTP answer: connection refused, reset, timeout. Twilio may or may not have the message; we retry.
      label = /timeout/i.test(e.message ?? '') || e.code === 'ECONNABORTED' ? 'timeout' : 'network';
      this.logger.warn({ err: { message: e.message, code: e.code } }, 'Twilio unreachable');
      return { ok: false, transient: true, code: null, message: `Twilio unreachable: ${e.message ?? 'unknown error'}`, httpStatus: null };
    } finally {
      twilioRequestDuration().observe({ status: label }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
