import { Module } from '@nestjs/common';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksController } from './twilio-webhooks.controller';

/** Twilio message status callbacks and inbound messages: signature-checked, forwarded to notification over Kafka. */
@Module({
  controllers: [TwilioWebhooksController],
  providers: [TwilioSignatureGuard],
})
export class TwilioWebhooksModule {}
