import { z } from 'zod';
import { channel } from './common';

export const notificationSentSchema = z.object({
  messageId: z.string().min(1),
  channel,
  kind: z.string().min(1),
  providerMessageId: z.string().nullable(),
});
export const notificationFailedSchema = z.object({
  messageId: z.string().min(1),
  channel,
  kind: z.string().min(1),
  errorCode: z.string().nullable(),
  reason: z.string().min(1),
  permanent: z.boolean(),
});
