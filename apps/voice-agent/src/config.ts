import { z } from 'zod';

/** voice-agent's own settings on top of the shared service environment (libs/config). */
export const voice_agentEnvSchema = z.object({
  RETELLAI_API_KEY: z.string().optional(),
  RETELLAI_BASE_URL: z.url().default('http://127.0.0.1:4020'),
  AUDIO_STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  AUDIO_LOCAL_DIR: z.string().default('.run/audio'),
  AUDIO_S3_BUCKET: z.string().optional(),
  AUDIO_S3_ENDPOINT: z.url().optional(),
  /**
   * Companies this instance answers voice functions for (comma-separated ids, `prefix*` allowed; all when
   * unset). Lets several voice-agent instances share one broker in integration tests, as booking does.
   */
  VOICE_AGENT_SERVE_COMPANIES: z.string().optional(),
  /** How often callback wishes booking has not yet taken (it was down) are offered again. */
  CALLBACK_RETRY_MS: z.coerce.number().int().min(100).default(15_000),
  /** How often recordings whose download failed are tried again (each with its own back-off, see calls/recordings). */
  RECORDING_RETRY_MS: z.coerce.number().int().min(100).default(30_000),
  RECORDING_DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  RECORDING_MAX_BYTES: z.coerce.number().int().min(1).default(200 * 1024 * 1024),
});
export type VoiceAgentEnv = z.infer<typeof voice_agentEnvSchema>;
