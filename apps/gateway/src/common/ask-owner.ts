import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { MessagingRuntime } from '@receptionist/service-runtime';

/** What every owning service answers on its `*.request` topic. */
export interface OwnerReply {
  ok: boolean;
  code?: string;
  detail?: string;
  data?: Record<string, unknown>;
}

export interface OwnerAsk<R extends OwnerReply> {
  topic: string;
  /** The company from the path the AuthGuard checked (or the portal principal), never from input. */
  companyId: string;
  subject: string | null;
  request: { operation: string };
  timeoutMs: number;
  schema: z.ZodType<R>;
  /** The 503's message when the owner does not answer in time or answers something unreadable. */
  unavailable: string;
}

/**
 * One request-reply round trip from the gateway to the service that owns the data (billing, voice-agent, booking).
 * No answer in time, or one that does not parse, is a 503 naming what is unavailable; a refusal is returned for the
 * caller to map to its HTTP answer.
 */
export async function askOwner<R extends OwnerReply>(messaging: MessagingRuntime, logger: Logger, ask: OwnerAsk<R>): Promise<R> {
  let raw: unknown;
  try {
    raw = await messaging.client.request(ask.topic, { key: ask.companyId, companyId: ask.companyId, subject: ask.subject, data: ask.request }, ask.timeoutMs);
  } catch (error) {
    const e = error as Error;
    logger.warn({ err: { name: e.name, message: e.message }, operation: ask.request.operation, companyId: ask.companyId }, `${ask.topic} failed`);
    throw new ServiceUnavailableException(ask.unavailable);
  }
  const reply = ask.schema.safeParse(raw);
  if (!reply.success) throw new ServiceUnavailableException(ask.unavailable);
  return reply.data;
}

/** An owner's refusal names the field first (`items.0.amount: must be …`): that field, or `fallback` when it names none. */
export function refusedField(detail: string | undefined, fallback: string): string;
export function refusedField(detail: string | undefined): string | undefined;
export function refusedField(detail: string | undefined, fallback?: string): string | undefined {
  return /^([\w.[\]-]+):/.exec(detail ?? '')?.[1] ?? fallback;
}

/** An owner's `invalid_request` as the edge's 400, naming the field as the edge's own validation does. */
export function refusedAsBadRequest(detail: string | undefined, fallbackField: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: detail ?? 'invalid request', field: refusedField(detail, fallbackField) });
}
