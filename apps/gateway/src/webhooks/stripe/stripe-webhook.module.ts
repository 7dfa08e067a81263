import { Module } from '@nestjs/common';
import { StripeWebhookController } from './stripe-webhook.controller';

/** `POST /api/webhooks/stripe`: verified Stripe events onto Kafka (`stripe.event.received`) for billing. */
@Module({ controllers: [StripeWebhookController] })
export class StripeWebhookModule {}
