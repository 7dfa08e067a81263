import { z } from 'zod';
import { callAnalyzedSchema, callCompletedSchema, callStartedSchema, retellCallWebhookSchema } from './messages/calls';
import {
  bookingCancelledSchema,
  bookingCreatedSchema,
  bookingFailedSchema,
  bookingOutcomeRecordedSchema,
  bookingRescheduledSchema,
  calcomBookingChangedSchema,
  callbackPromisedSchema,
  callbackRequestedSchema,
} from './messages/bookings';
import {
  balanceExhaustedSchema,
  balanceLowSchema,
  balanceRestoredSchema,
  invoicePaidSchema,
  paymentFailedSchema,
  paymentSucceededSchema,
  planPaymentOverdueSchema,
  planReinstatedSchema,
  planSuspendedSchema,
  stripeEventReceivedSchema,
} from './messages/billing';
import { billingRequestSchema } from './messages/billing-requests';
import { notificationFailedSchema, notificationSentSchema, twilioInboundMessageSchema, twilioMessageStatusSchema } from './messages/notifications';
import { serviceHeartbeatSchema, voiceFunctionReplySchema, voiceFunctionRequestSchema } from './messages/platform';
import { billingSetupSchema, bookingSetupSchema, notificationSetupSchema, setupAppliedSchema } from './messages/setup';
import { bookingRequestSchema } from './messages/booking-requests';
import { voiceCallsRequestSchema } from './messages/call-requests';
import { syncRequestSchema } from './messages/sync-requests';
import { privacyErasedSchema, privacyErasureRequestedSchema, privacyExportRequestSchema } from './messages/privacy';
import { passwordResetRequestedSchema, teamInvitationCreatedSchema } from './messages/team';
import { calendarRequestSchema } from './messages/calendar-requests';
import type { ServiceName } from './envelope';

export interface TopicDefinition<S extends z.ZodType = z.ZodType> {
  /** Topic name; also the envelope `type` of every message on it. */
  name: string;
  /** `event`: a fact, past tense; `command`: a request to one owner; `platform`: operational chatter. */
  kind: 'event' | 'command' | 'platform';
  producer: ServiceName;
  /** What the key is: every message about one aggregate shares a partition, in order. */
  key: string;
  schema: S;
  schemaVersion: number;
  partitions: number;
  /** Retention in hours; platform chatter needs little. */
  retentionHours?: number;
  /**
   * The largest record batch the topic (and its DLQ) accepts, compressed (`max.message.bytes`); without it the
   * broker's default (~1 MB). Producers compress large messages (libs/messaging SendQueue).
   */
  maxMessageBytes?: number;
}

/**
 * A long call's whole call object (word timings: a 40-minute call is several MiB of JSON) travels GZIP-compressed
 * on `retell.call.webhook`; 8 MiB compressed holds far more than the gateway's 25 MiB body limit compresses to.
 */
export const RETELL_WEBHOOK_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

function topic<S extends z.ZodType>(def: TopicDefinition<S>): TopicDefinition<S> {
  return def;
}

/**
 * The topic catalogue. Producers and consumers validate `data` against the schema here; a breaking change
 * means a new topic (or type) and a period of dual publishing, never an in-place change.
 */
export const Topics = {
  callStarted: topic({ name: 'call.started', kind: 'event', producer: 'voice-agent', key: 'callId', schema: callStartedSchema, schemaVersion: 1, partitions: 3 }),
  callCompleted: topic({ name: 'call.completed', kind: 'event', producer: 'voice-agent', key: 'callId', schema: callCompletedSchema, schemaVersion: 1, partitions: 3 }),
  callAnalyzed: topic({ name: 'call.analyzed', kind: 'event', producer: 'voice-agent', key: 'callId', schema: callAnalyzedSchema, schemaVersion: 1, partitions: 3 }),
  retellCallWebhook: topic({ name: 'retell.call.webhook', kind: 'event', producer: 'gateway', key: 'callId', schema: retellCallWebhookSchema, schemaVersion: 1, partitions: 6, maxMessageBytes: RETELL_WEBHOOK_MAX_MESSAGE_BYTES }),
  bookingCreated: topic({ name: 'booking.created', kind: 'event', producer: 'booking', key: 'appointmentId', schema: bookingCreatedSchema, schemaVersion: 1, partitions: 3 }),
  bookingRescheduled: topic({ name: 'booking.rescheduled', kind: 'event', producer: 'booking', key: 'appointmentId', schema: bookingRescheduledSchema, schemaVersion: 1, partitions: 3 }),
  bookingCancelled: topic({ name: 'booking.cancelled', kind: 'event', producer: 'booking', key: 'appointmentId', schema: bookingCancelledSchema, schemaVersion: 1, partitions: 3 }),
  bookingOutcomeRecorded: topic({ name: 'booking.outcome-recorded', kind: 'event', producer: 'booking', key: 'appointmentId', schema: bookingOutcomeRecordedSchema, schemaVersion: 1, partitions: 3 }),
  bookingFailed: topic({ name: 'booking.failed', kind: 'event', producer: 'booking', key: 'callId', schema: bookingFailedSchema, schemaVersion: 1, partitions: 3 }),
  callbackRequested: topic({ name: 'booking.callback-requested', kind: 'event', producer: 'booking', key: 'callbackRequestId', schema: callbackRequestedSchema, schemaVersion: 1, partitions: 3 }),
  callbackPromised: topic({ name: 'voice.callback-promised', kind: 'event', producer: 'gateway', key: 'callId', schema: callbackPromisedSchema, schemaVersion: 1, partitions: 3 }),
  calcomBookingChanged: topic({ name: 'calcom.booking.changed', kind: 'event', producer: 'gateway', key: 'calcomBookingUid', schema: calcomBookingChangedSchema, schemaVersion: 1, partitions: 3 }),
  paymentSucceeded: topic({ name: 'payment.succeeded', kind: 'event', producer: 'billing', key: 'companyId', schema: paymentSucceededSchema, schemaVersion: 1, partitions: 3 }),
  paymentFailed: topic({ name: 'payment.failed', kind: 'event', producer: 'billing', key: 'companyId', schema: paymentFailedSchema, schemaVersion: 1, partitions: 3 }),
  invoicePaid: topic({ name: 'invoice.paid', kind: 'event', producer: 'billing', key: 'companyId', schema: invoicePaidSchema, schemaVersion: 1, partitions: 3 }),
  balanceLow: topic({ name: 'balance.low', kind: 'event', producer: 'billing', key: 'companyId', schema: balanceLowSchema, schemaVersion: 1, partitions: 3 }),
  balanceExhausted: topic({ name: 'balance.exhausted', kind: 'event', producer: 'billing', key: 'companyId', schema: balanceExhaustedSchema, schemaVersion: 1, partitions: 3 }),
  planPaymentOverdue: topic({ name: 'plan.payment.overdue', kind: 'event', producer: 'billing', key: 'companyId', schema: planPaymentOverdueSchema, schemaVersion: 1, partitions: 3 }),
  planSuspended: topic({ name: 'plan.suspended', kind: 'event', producer: 'billing', key: 'companyId', schema: planSuspendedSchema, schemaVersion: 1, partitions: 3 }),
  planReinstated: topic({ name: 'plan.reinstated', kind: 'event', producer: 'billing', key: 'companyId', schema: planReinstatedSchema, schemaVersion: 1, partitions: 3 }),
  balanceRestored: topic({ name: 'balance.restored', kind: 'event', producer: 'billing', key: 'companyId', schema: balanceRestoredSchema, schemaVersion: 1, partitions: 3 }),
  notificationSent: topic({ name: 'notification.sent', kind: 'event', producer: 'notification', key: 'messageId', schema: notificationSentSchema, schemaVersion: 1, partitions: 3 }),
  notificationFailed: topic({ name: 'notification.failed', kind: 'event', producer: 'notification', key: 'messageId', schema: notificationFailedSchema, schemaVersion: 1, partitions: 3 }),
  twilioMessageStatus: topic({ name: 'twilio.message.status', kind: 'event', producer: 'gateway', key: 'messageSid', schema: twilioMessageStatusSchema, schemaVersion: 1, partitions: 3 }),
  twilioMessageInbound: topic({ name: 'twilio.message.inbound', kind: 'event', producer: 'gateway', key: 'from', schema: twilioInboundMessageSchema, schemaVersion: 1, partitions: 3 }),
  voiceFunctionCall: topic({ name: 'voice.function.call', kind: 'command', producer: 'gateway', key: 'callId', schema: voiceFunctionRequestSchema, schemaVersion: 1, partitions: 6, retentionHours: 1 }),
  voiceCallsRequest: topic({ name: 'voice.calls.request', kind: 'command', producer: 'gateway', key: 'companyId', schema: voiceCallsRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  bookingRequest: topic({ name: 'booking.request', kind: 'command', producer: 'voice-agent', key: 'companyId', schema: bookingRequestSchema, schemaVersion: 1, partitions: 6, retentionHours: 1 }),
  stripeEventReceived: topic({ name: 'stripe.event.received', kind: 'event', producer: 'gateway', key: 'customerId', schema: stripeEventReceivedSchema, schemaVersion: 1, partitions: 3 }),
  billingRequest: topic({ name: 'billing.request', kind: 'command', producer: 'gateway', key: 'companyId', schema: billingRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  calendarRequest: topic({ name: 'calendar.request', kind: 'command', producer: 'gateway', key: 'companyId', schema: calendarRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  syncRequest: topic({ name: 'sync.request', kind: 'command', producer: 'gateway', key: 'companyId', schema: syncRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  bookingSetup: topic({ name: 'company.setup.booking', kind: 'command', producer: 'gateway', key: 'companyId', schema: bookingSetupSchema, schemaVersion: 1, partitions: 3 }),
  billingSetup: topic({ name: 'company.setup.billing', kind: 'command', producer: 'gateway', key: 'companyId', schema: billingSetupSchema, schemaVersion: 1, partitions: 3 }),
  notificationSetup: topic({ name: 'company.setup.notification', kind: 'command', producer: 'gateway', key: 'companyId', schema: notificationSetupSchema, schemaVersion: 1, partitions: 3 }),
  setupApplied: topic({ name: 'company.setup.applied', kind: 'event', producer: 'booking', key: 'companyId', schema: setupAppliedSchema, schemaVersion: 1, partitions: 3 }),
  // A caller's data (issue 16): export asked of each service by request-reply; erasure announced once, each
  // service's completion a fact of its own (one producer per topic).
  privacyExportBooking: topic({ name: 'privacy.export.booking', kind: 'command', producer: 'gateway', key: 'companyId', schema: privacyExportRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  privacyExportVoiceAgent: topic({ name: 'privacy.export.voice-agent', kind: 'command', producer: 'gateway', key: 'companyId', schema: privacyExportRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  privacyExportNotification: topic({ name: 'privacy.export.notification', kind: 'command', producer: 'gateway', key: 'companyId', schema: privacyExportRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  privacyExportBilling: topic({ name: 'privacy.export.billing', kind: 'command', producer: 'gateway', key: 'companyId', schema: privacyExportRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  privacyExportSync: topic({ name: 'privacy.export.sync', kind: 'command', producer: 'gateway', key: 'companyId', schema: privacyExportRequestSchema, schemaVersion: 1, partitions: 3, retentionHours: 1 }),
  // Carries the caller's numbers and addresses (how services find them): kept 7 days, enough to survive an outage.
  privacyErasureRequested: topic({ name: 'privacy.erasure.requested', kind: 'event', producer: 'gateway', key: 'customerId', schema: privacyErasureRequestedSchema, schemaVersion: 1, partitions: 3 }),
  privacyErasedBooking: topic({ name: 'privacy.erased.booking', kind: 'event', producer: 'booking', key: 'customerId', schema: privacyErasedSchema, schemaVersion: 1, partitions: 3 }),
  privacyErasedVoiceAgent: topic({ name: 'privacy.erased.voice-agent', kind: 'event', producer: 'voice-agent', key: 'customerId', schema: privacyErasedSchema, schemaVersion: 1, partitions: 3 }),
  privacyErasedNotification: topic({ name: 'privacy.erased.notification', kind: 'event', producer: 'notification', key: 'customerId', schema: privacyErasedSchema, schemaVersion: 1, partitions: 3 }),
  privacyErasedBilling: topic({ name: 'privacy.erased.billing', kind: 'event', producer: 'billing', key: 'customerId', schema: privacyErasedSchema, schemaVersion: 1, partitions: 3 }),
  privacyErasedSync: topic({ name: 'privacy.erased.sync', kind: 'event', producer: 'sync', key: 'customerId', schema: privacyErasedSchema, schemaVersion: 1, partitions: 3 }),
  teamInvitationCreated: topic({ name: 'team.invitation.created', kind: 'event', producer: 'gateway', key: 'invitationId', schema: teamInvitationCreatedSchema, schemaVersion: 1, partitions: 3 }),
  passwordResetRequested: topic({ name: 'team.password-reset.requested', kind: 'event', producer: 'gateway', key: 'userId', schema: passwordResetRequestedSchema, schemaVersion: 1, partitions: 3 }),
  serviceHeartbeat: topic({ name: 'platform.service.heartbeat', kind: 'platform', producer: 'gateway', key: 'service', schema: serviceHeartbeatSchema, schemaVersion: 1, partitions: 1, retentionHours: 1 }),
} as const;

/** Replies are not a topic of their own in the catalogue: each requester instance owns `<service>.replies.<instance>`. */
export const voiceFunctionReply = { schema: voiceFunctionReplySchema } as const;

export type TopicKey = keyof typeof Topics;
export type TopicData<K extends TopicKey> = z.infer<(typeof Topics)[K]['schema']>;

export const ALL_TOPICS: TopicDefinition[] = Object.values(Topics);

const TOPICS_BY_NAME = new Map(ALL_TOPICS.map((t) => [t.name, t]));

/** Called for every produced and consumed message, hence a map. */
export function topicByName(name: string): TopicDefinition | undefined {
  return TOPICS_BY_NAME.get(name);
}

export const dlqTopicName = (topicName: string) => `${topicName}.dlq`;
export const replyTopicName = (service: string, instanceId: string) => `${service}.replies.${instanceId}`;
/** Compacted topic holding, per service, the ids of the outbox batch last committed to Kafka. */
export const OUTBOX_STATE_TOPIC = 'platform.outbox.state';
