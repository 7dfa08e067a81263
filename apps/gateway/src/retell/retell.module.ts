import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CompaniesModule } from '../companies/companies.module';
import { CallAcceptanceModule } from '../call-acceptance/call-acceptance.module';
import { CallRouter } from './call-router';
import { RetellController } from './retell.controller';
import { RetellWebhooksController } from './retell-webhooks.controller';
import { RetellGuard } from './retell.guard';
import { InboundCallService } from './inbound-call.service';
import { VoiceFunctionsService } from './voice-functions.service';

/**
 * Retell's function calls and inbound call webhook: authenticated by signature, routed to a company, forwarded
 * to voice-agent over Kafka request-reply. Import after the identity module and before the rate-limit module:
 * its guard must set the company before the limiter counts.
 */
@Module({
  imports: [CompaniesModule, CallAcceptanceModule],
  controllers: [RetellController, RetellWebhooksController],
  providers: [InboundCallService, CallRouter, VoiceFunctionsService, RetellGuard, { provide: APP_GUARD, useExisting: RetellGuard }],
})
export class RetellModule {}
