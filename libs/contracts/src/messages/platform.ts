import { z } from 'zod';

/** Each service announces its readiness periodically so the gateway can report it (see /api/health/detailed). */
export const serviceHeartbeatSchema = z.object({
  service: z.string().min(1),
  instanceId: z.string().min(1),
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
  outboxBacklog: z.number().int().min(0),
  at: z.iso.datetime({ offset: true }),
  /** Last heartbeat of an instance shutting down cleanly: the health view drops it at once instead of after 30 s. */
  leaving: z.boolean().optional(),
});

/** A voice function call forwarded by the gateway (request-reply; answered on the caller's reply topic). */
export const voiceFunctionRequestSchema = z.object({
  function: z.string().min(1),
  callId: z.string().nullable(),
  args: z.record(z.string(), z.unknown()),
  call: z.record(z.string(), z.unknown()).nullable(),
});
export const voiceFunctionReplySchema = z.object({
  success: z.boolean(),
  message: z.string(),
  code: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
