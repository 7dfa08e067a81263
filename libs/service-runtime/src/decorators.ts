import { SetMetadata } from '@nestjs/common';

export const ON_EVENT = 'receptionist:on-event';
export const ON_REQUEST = 'receptionist:on-request';

/**
 * Marks a provider method as the handler of one topic's events. All handlers of a service share one
 * consumer group (`<service>`), so instances split the partitions. Delivery is at least once: apply effects
 * through `Inbox.handleOnce`.
 */
export const OnEvent = (topic: string) => SetMetadata(ON_EVENT, topic);

/** Marks a provider method as the responder for a request-reply topic; its return value is the reply. */
export const OnRequest = (topic: string) => SetMetadata(ON_REQUEST, topic);
