import { Controller, HttpCode, HttpException, HttpStatus, Inject, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { companyCalcomWebhookSecret } from '@receptionist/config';
import { Topics, createEnvelope, messageIdFrom } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime, Public, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../../config';
import { calcomWebhooks } from './calcom-webhook.metrics';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** The booking triggers booking acts on; others (meetings, recordings, forms) are acknowledged and ignored. */
export const CALCOM_BOOKING_TRIGGERS = new Set(['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED', 'BOOKING_REJECTED', 'BOOKING_REQUESTED']);

/** Cal.com signs `hex(HMAC-SHA256(secret, exact body))` in `X-Cal-Signature-256`, without a timestamp. */
export function verifyCalcomSignature(raw: Buffer, header: string | undefined, secrets: string[]): boolean {
  if (!header || !/^[0-9a-f]{64}$/i.test(header)) return false;
  const given = Buffer.from(header.toLowerCase(), 'hex');
  return secrets.some((secret) => timingSafeEqual(given, createHmac('sha256', secret).update(raw).digest()));
}

/**
 * `POST /api/calcom/webhook`: bookings changed in Cal.com itself (by the business in its calendar, or echoes of our
 * own changes). The signature is checked over the raw body first (401, counted, nothing recorded); a booking trigger
 * is published to `calcom.booking.changed` and acknowledged only once Kafka has it (acks=all; 503 otherwise, so
 * Cal.com's retry is not lost). No company is named here: booking finds the appointment by its Cal.com uid and
 * acts only within the company that owns it.
 */
@Controller()
export class CalcomWebhookController {
  private readonly secrets: string[];

  constructor(
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Comma separated: the old and the new secret while rotating.
    this.secrets = (config.CALCOM_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    // The series exist from the start (at zero), so dashboards and rates show them before the first webhook.
    for (const trigger of ['BOOKING_CREATED', 'BOOKING_RESCHEDULED', 'BOOKING_CANCELLED']) calcomWebhooks().inc({ trigger, outcome: 'accepted' }, 0);
  }

  @Public()
  @Post('api/calcom/webhook')
  @HttpCode(200)
  receive(@Req() request: RawRequest): Promise<{ received: true; status: 'processed' | 'ignored' }> {
    return this.handle(request, null);
  }

  /**
   * `POST /api/calcom/webhook/:companyId`: the subscription booking made on a company's own Cal.com account, signed
   * with that company's secret (derived from the platform secret, see companyCalcomWebhookSecret). Only the named
   * company's appointments are touched; another company's secret (or the platform's) does not verify here.
   */
  @Public()
  @Post('api/calcom/webhook/:companyId')
  @HttpCode(200)
  receiveForCompany(@Req() request: RawRequest, @Param('companyId') companyId: string): Promise<{ received: true; status: 'processed' | 'ignored' }> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(companyId)) throw new HttpException({ statusCode: 404, error: 'Not Found', message: 'unknown webhook' }, HttpStatus.NOT_FOUND);
    return this.handle(request, companyId);
  }

  private async handle(request: RawRequest, companyId: string | null): Promise<{ received: true; status: 'processed' | 'ignored' }> {
    if (this.secrets.length === 0) {
      calcomWebhooks().inc({ trigger: 'unknown', outcome: 'not_configured' });
      this.logger.error('Cal.com webhook refused: CALCOM_WEBHOOK_SECRET is not set');
      throw new HttpException({ statusCode: 503, error: 'Service Unavailable', message: 'Cal.com webhooks are not configured' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    const header = request.headers['x-cal-signature-256'];
    const secrets = companyId ? this.secrets.map((s) => companyCalcomWebhookSecret(s, companyId)) : this.secrets;
    if (!request.rawBody || !verifyCalcomSignature(request.rawBody, Array.isArray(header) ? header[0] : header, secrets)) {
      calcomWebhooks().inc({ trigger: 'unknown', outcome: 'bad_signature' });
      this.logger.warn('Cal.com webhook with a bad signature refused');
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: 'missing or invalid X-Cal-Signature-256' }, HttpStatus.UNAUTHORIZED);
    }
    const body = request.body as Record<string, any> | null;
    const trigger = body?.triggerEvent;
    if (typeof trigger !== 'string' || !/^[A-Z_]{1,64}$/.test(trigger)) return this.malformed('triggerEvent: must be a Cal.com trigger name');
    if (!CALCOM_BOOKING_TRIGGERS.has(trigger)) {
      calcomWebhooks().inc({ trigger: trigger === 'PING' ? 'PING' : 'other', outcome: 'ignored' });
      return { received: true, status: 'ignored' };
    }
    const payload = body?.payload;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return this.malformed('payload: must be an object');
    if (typeof payload.uid !== 'string' || !payload.uid) return this.malformed('payload.uid: must be the booking uid');
    const createdAt = typeof body?.createdAt === 'string' ? body.createdAt : '';
    try {
      await this.runtime.producer.publish({
        topic: Topics.calcomBookingChanged.name,
        key: payload.uid,
        envelope: createEnvelope({
          // One message per (trigger, booking uid, delivery time): a redelivered webhook is the same message.
          id: messageIdFrom(companyId ? `calcom:${companyId}:${trigger}:${payload.uid}:${createdAt}` : `calcom:${trigger}:${payload.uid}:${createdAt}`),
          type: Topics.calcomBookingChanged.name,
          source: 'gateway',
          companyId,
          subject: payload.uid,
          data: { trigger, calcomBookingUid: payload.uid, payload },
        }),
      });
    } catch (error) {
      calcomWebhooks().inc({ trigger, outcome: 'kafka_error' });
      this.logger.error({ err: error, trigger, uid: payload.uid }, 'Cal.com webhook not forwarded; Cal.com may retry');
      throw new HttpException({ statusCode: 503, error: 'Service Unavailable', message: 'try again later' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    calcomWebhooks().inc({ trigger, outcome: 'accepted' });
    return { received: true, status: 'processed' };
  }

  private malformed(message: string): never {
    calcomWebhooks().inc({ trigger: 'unknown', outcome: 'malformed' });
    throw new HttpException({ statusCode: 400, error: 'Bad Request', message, field: message.split(':')[0] }, HttpStatus.BAD_REQUEST);
  }
}
