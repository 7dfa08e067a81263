import { Controller, HttpCode, HttpException, HttpStatus, Inject, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Topics, createEnvelope, messageIdFrom } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime, Public, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../../config';
import { verifyStripeSignature } from './stripe-signature';
import { stripeWebhooks } from './stripe-webhook.metrics';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

/** The envelope id of a Stripe event: a redelivered webhook is the same message to consumers' inboxes. */
export const envelopeIdFor = (eventId: string): string => messageIdFrom(`stripe-event:${eventId}`);

const SEEN_TTL_SECONDS = 4 * 24 * 3600; // longer than Stripe's 3 days of retries

/**
 * `POST /api/webhooks/stripe`. The signature is checked over the raw body before anything else (401 and a
 * counter, nothing recorded); a verified event is published to `stripe.event.received` and acknowledged only once
 * Kafka has it (acks=all), so an event Stripe saw acknowledged is never lost — if Kafka fails, Stripe gets a 503
 * and retries. A redelivery of an event already published is acknowledged without publishing again (Redis
 * marker); if that marker is missing the republished message has the same envelope id and billing's inbox drops it.
 * Billing owns the effects; this edge only verifies and forwards.
 */
@Controller()
export class StripeWebhookController {
  private readonly secrets: string[];

  constructor(
    private readonly runtime: MessagingRuntime,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    // Comma separated: the old and the new secret while rotating.
    this.secrets = (config.STRIPE_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  }

  @Public()
  @Post('api/webhooks/stripe')
  @HttpCode(200)
  async receive(@Req() request: RawRequest): Promise<{ received: true; duplicate?: true }> {
    if (this.secrets.length === 0) {
      stripeWebhooks().inc({ outcome: 'not_configured' });
      this.logger.error('Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set');
      throw new HttpException({ statusCode: 503, error: 'Service Unavailable', message: 'Stripe webhooks are not configured' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    const raw = request.rawBody;
    const header = request.headers['stripe-signature'];
    const check = raw ? verifyStripeSignature(raw, Array.isArray(header) ? header[0] : header, this.secrets) : 'missing';
    if (check !== 'ok') {
      stripeWebhooks().inc({ outcome: check === 'stale' ? 'stale' : 'bad_signature' });
      this.logger.warn({ reason: check }, 'Stripe webhook with a bad signature refused');
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: 'missing, invalid or expired Stripe-Signature' }, HttpStatus.UNAUTHORIZED);
    }
    const event = request.body as Record<string, any>;
    const eventId = event?.id;
    if (typeof eventId !== 'string' || !/^evt_[A-Za-z0-9_]+$/.test(eventId) || typeof event.type !== 'string' || typeof event.created !== 'number') {
      stripeWebhooks().inc({ outcome: 'malformed' });
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'not a Stripe event (id, type, created)' }, HttpStatus.BAD_REQUEST);
    }
    const seenKey = `stripe:webhook:seen:${eventId}`;
    if (await this.redis.exists(seenKey).catch(() => 0)) {
      stripeWebhooks().inc({ outcome: 'duplicate' });
      return { received: true, duplicate: true };
    }
    const object = (event.data?.object ?? {}) as Record<string, unknown>;
    const customer = object.customer;
    const customerId = typeof customer === 'string' ? customer : typeof (customer as { id?: unknown })?.id === 'string' ? (customer as { id: string }).id : object.object === 'customer' ? (object.id as string) : null;
    const objectId = typeof object.id === 'string' ? object.id : null;
    const data = {
      eventId,
      type: event.type,
      livemode: Boolean(event.livemode),
      created: event.created,
      objectId,
      customerId,
      receivedAt: new Date().toISOString(),
      event,
    };
    const parsed = Topics.stripeEventReceived.schema.safeParse(data);
    if (!parsed.success) {
      stripeWebhooks().inc({ outcome: 'malformed' });
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: `not a Stripe event: ${parsed.error.issues[0].path.join('.')}` }, HttpStatus.BAD_REQUEST);
    }
    try {
      await this.runtime.producer.publish({
        topic: Topics.stripeEventReceived.name,
        key: customerId ?? objectId ?? eventId,
        envelope: createEnvelope({
          id: envelopeIdFor(eventId),
          type: Topics.stripeEventReceived.name,
          source: 'gateway',
          companyId: null,
          subject: eventId,
          data: parsed.data,
        }),
      });
    } catch (error) {
      stripeWebhooks().inc({ outcome: 'kafka_error' });
      this.logger.error({ err: error, eventId }, 'Stripe webhook not forwarded; Stripe will retry');
      throw new HttpException({ statusCode: 503, error: 'Service Unavailable', message: 'try again later' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    await this.redis.set(seenKey, '1', 'EX', SEEN_TTL_SECONDS).catch(() => undefined);
    stripeWebhooks().inc({ outcome: 'accepted' });
    return { received: true };
  }
}
