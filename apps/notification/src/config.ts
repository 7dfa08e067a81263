import { z } from 'zod';

/** notification's own settings on top of the shared service environment (libs/config). */
export const notificationEnvSchema = z.object({
  TWILIO_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM_NUMBER: z.string().optional(),
  TWILIO_API_BASE: z.url().default('http://127.0.0.1:4040'),
  TRANSLATE_BASE_URL: z.url().default('http://127.0.0.1:4070'),
});
