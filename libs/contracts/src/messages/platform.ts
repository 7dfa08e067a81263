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

/**
 * A voice function call forwarded by the gateway (request-reply; answered on the caller's reply topic). The
 * gateway has authenticated the request and resolved the company from the agent id or the number called;
 * voice-agent trusts `company`, never a company named in `args`.
 */
export const voiceFunctionRequestSchema = z.object({
  /** As Retell sent it (aliases and `_vNN` suffixes are normalised by voice-agent). */
  function: z.string().min(1),
  callId: z.string().nullable(),
  args: z.record(z.string(), z.unknown()),
  call: z.record(z.string(), z.unknown()).nullable(),
  company: z
    .object({
      id: z.string().min(1),
      name: z.string().min(1),
      timeZone: z.string().min(1),
      language: z.string().min(2),
      currency: z.string().length(3),
      branchId: z.string().nullable(),
    })
    .optional(),
  /** Caller and dialled numbers, E.164-normalised by the gateway; null when withheld or unparseable. */
  fromNumber: z.string().nullable().optional(),
  toNumber: z.string().nullable().optional(),
  /** Identifies a retried tool call: the same key must give the same answer (hash of function + body). */
  requestKey: z.string().optional(),
});
export const voiceFunctionReplySchema = z.object({
  success: z.boolean(),
  message: z.string(),
  code: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
