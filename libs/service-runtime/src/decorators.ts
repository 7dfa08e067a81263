import { SetMetadata } from '@nestjs/common';

export const ON_EVENT = 'receptionist:on-event';
export const ON_REQUEST = 'receptionist:on-request';
export const ON_EVENT_BATCH = 'receptionist:on-event-batch';

/**
 * Marks a provider method as the handler of one topic's events. All handlers of a service share one
 * consumer group (`<service>`), so instances split the partitions. Delivery is at least once: apply effects
 * through `Inbox.handleOnce`.
 */
export const OnEvent = (topic: string) => SetMetadata(ON_EVENT, topic);

export interface OnEventBatchOptions {
  /** Largest batch handed to the method (default 200). */
  maxBatchSize?: number;
}

/**
 * Marks a provider method as the batch handler of a topic that also has an `@OnEvent` handler: it receives up to
 * `maxBatchSize` envelopes of one partition, in order, and should apply them all in one transaction (all or
 * nothing). When it throws, the same messages go to the `@OnEvent` handler one by one (retries, DLQ).
 */
export const OnEventBatch = (topic: string, options: OnEventBatchOptions = {}) => SetMetadata(ON_EVENT_BATCH, { topic, ...options });

/** Marks a provider method as the responder for a request-reply topic; its return value is the reply. */
export const OnRequest = (topic: string) => SetMetadata(ON_REQUEST, topic);
