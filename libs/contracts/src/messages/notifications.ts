import { z } from 'zod';
import { channel } from './common';

export const notificationSentSchema = z.object({
  messageId: z.string().min(1),
  channel,
  kind: z.string().min(1),
  providerMessageId: z.string().nullable(),
  /** Added later: the appointment the message is about, if any. */
  appointmentId: z.string().nullable().optional(),
});
export const notificationFailedSchema = z.object({
  messageId: z.string().min(1),
  channel,
  kind: z.string().min(1),
  errorCode: z.string().nullable(),
  reason: z.string().min(1),
  permanent: z.boolean(),
  appointmentId: z.string().nullable().optional(),
});

/**
 * Twilio webhooks as the gateway forwards them after checking `X-Twilio-Signature`. `params` is every form field
 * Twilio sent (it adds fields without notice); the named ones are copied out for convenience.
 */
export const twilioMessageStatusSchema = z.object({
  accountSid: z.string().min(1),
  messageSid: z.string().min(1),
  messageStatus: z.string().min(1),
  errorCode: z.string().nullable(),
  to: z.string().nullable(),
  from: z.string().nullable(),
  /** Our own message id and company, from the status callback URL we gave Twilio (signed with the rest). */
  notificationMessageId: z.string().nullable(),
  notificationCompanyId: z.string().nullable(),
  params: z.record(z.string(), z.string()),
  receivedAt: z.iso.datetime({ offset: true }),
});
export const twilioInboundMessageSchema = z.object({
  accountSid: z.string().min(1),
  messageSid: z.string().min(1),
  /** `+E.164` or `whatsapp:+E.164`, as Twilio sends it. */
  from: z.string().min(1),
  to: z.string().min(1),
  body: z.string(),
  params: z.record(z.string(), z.string()),
  receivedAt: z.iso.datetime({ offset: true }),
});
