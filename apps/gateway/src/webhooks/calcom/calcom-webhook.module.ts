import { Module } from '@nestjs/common';
import { CalcomWebhookController } from './calcom-webhook.controller';

/** `POST /api/calcom/webhook`: verified Cal.com booking changes onto Kafka (`calcom.booking.changed`) for booking. */
@Module({ controllers: [CalcomWebhookController] })
export class CalcomWebhookModule {}
