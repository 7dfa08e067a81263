import { z } from 'zod';

/**
 * Outgoing callback webhooks: a company subscribes a URL of its own systems to some of the platform's events, and
 * sync (which owns subscriptions and deliveries) POSTs each such event there, signed. The gateway's admin API asks
 * sync over request-reply on `sync.request`; `companyId` comes from the authenticated path, never from a body.
 */
export const callbackEventTypes = [
  'booking.created',
  'booking.rescheduled',
  'booking.cancelled',
  'booking.callback-requested',
  'call.completed',
  'call.analyzed',
  'invoice.paid',
  'payment.failed',
  'balance.low',
  'balance.exhausted',
] as const;
export type CallbackEventType = (typeof callbackEventTypes)[number];
/** Sent only on request (`subscription.test`), to check a receiver end to end. */
export const CALLBACK_TEST_EVENT = 'callback.test';

export const callbackDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;

const base = { companyId: z.string().min(1) };

export const syncRequestSchema = z.discriminatedUnion('operation', [
  /** Answers the subscription with its signing secret, the only time the secret is shown. */
  z.object({
    operation: z.literal('subscription.create'),
    ...base,
    url: z.string().min(1).max(2000),
    events: z.array(z.enum(callbackEventTypes)).min(1).max(callbackEventTypes.length),
    description: z.string().trim().max(200).nullable().optional(),
  }),
  z.object({ operation: z.literal('subscriptions.list'), ...base }),
  /** Stops deliveries at once; pending deliveries are dropped, the delivery log is kept. */
  z.object({ operation: z.literal('subscription.delete'), ...base, subscriptionId: z.uuid() }),
  /**
   * A new signing secret, answered once. The old one keeps signing beside it for `oldSecretValidHours` (two
   * signatures in `webhook-signature`), so the receiver can switch without refusing a delivery; 0 stops it at once.
   */
  z.object({ operation: z.literal('subscription.rotateSecret'), ...base, subscriptionId: z.uuid(), oldSecretValidHours: z.number().int().min(0).max(168).default(24) }),
  /** Queues a `callback.test` delivery to the subscription's URL. */
  z.object({ operation: z.literal('subscription.test'), ...base, subscriptionId: z.uuid() }),
  /** The subscription's deliveries, newest first; `before` is the `createdAt` cursor of the previous page. */
  z.object({
    operation: z.literal('deliveries.list'),
    ...base,
    subscriptionId: z.uuid(),
    status: z.enum(callbackDeliveryStatuses).optional(),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().max(200).optional(),
  }),
  /** Sends a failed (or delivered) delivery again, as a new attempt series with the same webhook id. */
  z.object({ operation: z.literal('delivery.retry'), ...base, subscriptionId: z.uuid(), deliveryId: z.uuid() }),
  /** Reconciles the company's calendar now (a run already under way is answered instead of a second one). */
  z.object({ operation: z.literal('reconciliation.start'), ...base }),
  /** The company's reconciliation runs, newest first, each with its findings; and the cursor. */
  z.object({ operation: z.literal('reconciliations.list'), ...base, limit: z.number().int().min(1).max(50).default(10) }),
]);
export type SyncRequest = z.input<typeof syncRequestSchema>;

export const syncErrorCodes = ['invalid_request', 'not_found', 'limit_reached'] as const;

export const syncReplySchema = z.object({
  ok: z.boolean(),
  code: z.enum(syncErrorCodes).optional(),
  /** Which field, which rule. */
  detail: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type SyncReply = z.infer<typeof syncReplySchema>;
