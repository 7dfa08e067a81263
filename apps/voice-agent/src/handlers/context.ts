import type { z } from 'zod';
import type { voiceFunctionReplySchema, voiceFunctionRequestSchema } from '@receptionist/contracts';
import { SpokenLanguage, ZonedNow, isoInZone, spokenClock, spokenDateTime, zonedParts } from '@receptionist/dates';
import type { FunctionArgs } from '../functions/function-args';
import type { VoiceFunction } from '@receptionist/contracts';

export type VoiceFunctionRequest = z.output<typeof voiceFunctionRequestSchema>;
export type VoiceFunctionReply = z.infer<typeof voiceFunctionReplySchema>;
export type Company = NonNullable<VoiceFunctionRequest['company']>;

/** Everything a handler needs about the call it answers. */
export interface CallContext {
  fn: VoiceFunction;
  company: Company;
  callId: string | null;
  /** Caller's number, E.164; null when withheld. */
  from: string | null;
  /** The company's number that was called, E.164. */
  to: string | null;
  lang: SpokenLanguage;
  now: ZonedNow;
  /** Epoch ms by which the reply must be on its way back. */
  deadline: number;
  /** The gateway's key of this request (the same for Retell's retries); names the callback wish it may record. */
  requestKey?: string | null;
  args: FunctionArgs;
}

/** A sentence in both languages; the caller's is picked. */
export type Phrase = { de: string; en: string };
export const say = (ctx: { lang: SpokenLanguage }, p: Phrase) => p[ctx.lang];

export function ok(message: string, data?: Record<string, unknown>, code?: string): VoiceFunctionReply {
  return { success: true, message, ...(code ? { code } : {}), ...(data ? { data } : {}) };
}

export function fail(code: string, message: string, data?: Record<string, unknown>): VoiceFunctionReply {
  return { success: false, code, message, ...(data ? { data } : {}) };
}

/** A start time as handlers put it in `data`: ISO with the company's offset, plus how it is said. */
export function slotView(ctx: CallContext, start: Date) {
  return {
    start: isoInZone(start, ctx.company.timeZone),
    spoken: spokenDateTime(start, ctx.company.timeZone, ctx.lang, ctx.now.local.year),
    /** The time as people say it ("halb drei"), for agents that prefer words. */
    spokenTime: spokenClock(zonedParts(start, ctx.company.timeZone), ctx.lang),
  };
}
