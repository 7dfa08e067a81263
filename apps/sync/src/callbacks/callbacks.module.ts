import { SyncPrivacyHandler } from '../privacy/privacy.handler';
import { Module } from '@nestjs/common';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { CallbackDeliverer } from './callback-deliverer';
import { CallbackEventsHandler } from './callback-events.handler';
import { CallbackSubscriptionsService } from './callback-subscriptions.service';
import { CallbacksRepository } from './callbacks.repository';
import { SyncRequestsHandler } from './sync-requests.handler';

/** Outgoing callback webhooks: companies' subscriptions, deliveries from the platform's events, signed sending. */
@Module({
  imports: [ReconciliationModule],
  providers: [CallbacksRepository, CallbackDeliverer, CallbackSubscriptionsService, CallbackEventsHandler, SyncRequestsHandler, SyncPrivacyHandler],
})
export class CallbacksModule {}
