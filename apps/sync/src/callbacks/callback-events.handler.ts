import { Injectable } from '@nestjs/common';
import { Envelope, Topics } from '@receptionist/contracts';
import { OnEvent } from '@receptionist/service-runtime';
import { CallbackSubscriptionsService } from './callback-subscriptions.service';

/**
 * The platform's events a company can subscribe to (`callbackEventTypes` in libs/contracts; each is a topic of
 * its own). At least once from Kafka, once per (subscription, event) in the table.
 */
@Injectable()
export class CallbackEventsHandler {
  constructor(private readonly subscriptions: CallbackSubscriptionsService) {}

  @OnEvent(Topics.bookingCreated.name)
  bookingCreated(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.bookingRescheduled.name)
  bookingRescheduled(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.bookingCancelled.name)
  bookingCancelled(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.callbackRequested.name)
  callbackRequested(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.callCompleted.name)
  callCompleted(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.callAnalyzed.name)
  callAnalyzed(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.invoicePaid.name)
  invoicePaid(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.paymentFailed.name)
  paymentFailed(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.balanceLow.name)
  balanceLow(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }

  @OnEvent(Topics.balanceExhausted.name)
  balanceExhausted(e: Envelope) {
    return this.subscriptions.onEvent(e);
  }
}

/** Topics the handler above consumes: kept equal to the contract's list by callbacks.spec.ts. */
export const CALLBACK_TOPICS = [
  Topics.bookingCreated.name,
  Topics.bookingRescheduled.name,
  Topics.bookingCancelled.name,
  Topics.callbackRequested.name,
  Topics.callCompleted.name,
  Topics.callAnalyzed.name,
  Topics.invoicePaid.name,
  Topics.paymentFailed.name,
  Topics.balanceLow.name,
  Topics.balanceExhausted.name,
];
