import { z } from 'zod';

/** sync's own settings on top of the shared service environment (libs/config). */
export const syncEnvSchema = z.object({
  SAMEDI_BASE_URL: z.url().default('http://127.0.0.1:4050'),
  SAMEDI_CLIENT_ID: z.string().optional(),
  SAMEDI_CLIENT_SECRET: z.string().optional(),
  CALCOM_BASE_URL: z.url().default('http://127.0.0.1:4010'),
});
