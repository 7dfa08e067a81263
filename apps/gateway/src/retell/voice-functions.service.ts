import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Topics, callbackWishIdFor, messageIdFrom, voiceFunctionReplySchema, voiceFunctionRequestSchema } from '@receptionist/contracts';
import { Outbox, RequestTimeoutError, isDuplicateKeyError } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import type { RetellInvocation } from './call-context';
import type { RoutedCall } from './call-router';
import { callbackPromises, voiceFunctionCalls } from './retell.metrics';

export type VoiceReply = z.infer<typeof voiceFunctionReplySchema>;
type VoiceRequest = z.infer<typeof voiceFunctionRequestSchema>;

/** Time kept for our own HTTP answer after voice-agent's deadline. */
const HTTP_MARGIN_MS = 150;
/** How long the fallback waits for its callback promise to be written before answering anyway (it still lands). */
const PROMISE_WAIT_MS = 250;

const SPOKEN = {
  de: {
    fallback: 'Entschuldigung, ich kann das gerade nicht nachsehen. Ich notiere Ihren Wunsch, und wir rufen Sie so bald wie möglich zurück.',
    fallbackNoCallback: 'Entschuldigung, ich kann das gerade nicht nachsehen. Bitte rufen Sie später noch einmal an.',
    unknownCompany: 'Entschuldigung, dieser Anschluss ist bei uns noch nicht eingerichtet. Bitte versuchen Sie es später noch einmal.',
    noCall: 'Entschuldigung, ich konnte Ihren Anruf gerade nicht zuordnen. Bitte versuchen Sie es noch einmal.',
    pleaseRepeat: 'Entschuldigung, das habe ich nicht verstanden. Könnten Sie das bitte noch einmal sagen?',
  },
  en: {
    fallback: "Sorry, I can't check that right now. I'll note your request and we'll call you back as soon as possible.",
    fallbackNoCallback: "Sorry, I can't check that right now. Please call again later.",
    unknownCompany: "Sorry, this line isn't set up with us yet. Please try again later.",
    noCall: "Sorry, I couldn't match this call just now. Please try again.",
    pleaseRepeat: "Sorry, I didn't catch that. Could you say it again, please?",
  },
} as const;

export const spoken = (language: string | undefined) => (language?.startsWith('en') ? SPOKEN.en : SPOKEN.de);

/**
 * Forwards an authenticated Retell function call to voice-agent over Kafka request-reply and always answers
 * something speakable within the deadline (VOICE_FUNCTION_DEADLINE_MS): past it, the spoken fallback. The work
 * itself is not cancelled: a late result is still recorded by voice-agent and booking. The fallback promises a call
 * back only when it can keep the promise: the wish (caller's number, what was asked) goes through the outbox as
 * `voice.callback-promised` under the request's wish id, and booking records it once; without a caller number (or
 * when it cannot be written) the caller is asked to call again instead.
 */
@Injectable()
export class VoiceFunctionsService {
  private readonly deadlineMs: number;

  constructor(
    private readonly messaging: MessagingRuntime,
    private readonly outbox: Outbox,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.deadlineMs = config.VOICE_FUNCTION_DEADLINE_MS ?? 8000;
  }

  async call(route: string, invocation: RetellInvocation, routed: RoutedCall | null, rawBody: Buffer | undefined): Promise<VoiceReply> {
    if (invocation.unreadable) {
      // Signed but not JSON (a mis-configured tool): like every function failure, 200 and words the agent can say.
      voiceFunctionCalls().inc({ route, outcome: 'unreadable_request' });
      return { success: false, code: 'unreadable_request', message: spoken(undefined).pleaseRepeat };
    }
    if (!routed) {
      const outcome = invocation.callId || invocation.agentId || invocation.toNumber ? 'unknown_company' : 'no_call_context';
      voiceFunctionCalls().inc({ route, outcome });
      const text = spoken(undefined);
      return { success: false, code: outcome, message: outcome === 'unknown_company' ? text.unknownCompany : text.noCall };
    }
    const request: VoiceRequest = {
      function: invocation.function ?? '',
      callId: routed.callId,
      args: invocation.args,
      call: invocation.call,
      company: { ...routed.company, branchId: routed.branchId },
      fromNumber: routed.fromNumber,
      toNumber: routed.toNumber,
      // Retell retries a failed tool call with the same body: the same key lets voice-agent answer the same.
      requestKey: createHash('sha256')
        .update(`${routed.company.id}\n${routed.callId ?? ''}\n${route}\n`)
        .update(rawBody ?? JSON.stringify(invocation.args))
        .digest('hex'),
    };
    try {
      const reply = await this.messaging.client.request<VoiceRequest, VoiceReply>(
        Topics.voiceFunctionCall.name,
        { key: routed.callId ?? routed.company.id, companyId: routed.company.id, subject: routed.callId, data: request },
        this.deadlineMs - HTTP_MARGIN_MS,
      );
      const parsed = voiceFunctionReplySchema.safeParse(reply);
      if (!parsed.success) throw new Error('voice-agent answered outside the reply contract');
      voiceFunctionCalls().inc({ route, outcome: parsed.data.success ? 'ok' : 'failed' });
      return parsed.data;
    } catch (error) {
      const timeout = error instanceof RequestTimeoutError;
      voiceFunctionCalls().inc({ route, outcome: timeout ? 'fallback_timeout' : 'fallback_unavailable' });
      this.logger.warn({ route, callId: routed.callId, companyId: routed.company.id, err: { message: (error as Error).message } }, 'voice function fell back');
      const promised = await this.promiseCallback(routed, request);
      const text = spoken(routed.company.language);
      return { success: false, code: timeout ? 'timeout' : 'unavailable', message: promised ? text.fallback : text.fallbackNoCallback, data: { callbackRecorded: promised } };
    }
  }

  /** Writes the callback the fallback promises; false when there is nobody to call back or it could not be written. */
  private async promiseCallback(routed: RoutedCall, request: VoiceRequest): Promise<boolean> {
    if (!routed.fromNumber || !request.requestKey) {
      callbackPromises().inc({ outcome: 'no_number' });
      return false;
    }
    const wishId = callbackWishIdFor(request.requestKey);
    const write = this.outbox
      .transaction((_manager, publish) =>
        publish({
          // The same tool call retried by Retell (same request key) falls back to the same promise: written once.
          id: messageIdFrom(`callback-promised:${wishId}`),
          topic: Topics.callbackPromised.name,
          key: routed.callId ?? routed.company.id,
          companyId: routed.company.id,
          subject: routed.callId,
          data: {
            wishId,
            requestKey: request.requestKey!,
            callId: routed.callId,
            function: request.function.slice(0, 100),
            phone: routed.fromNumber!,
            wish: describeWish(request.function, request.args),
            reason: 'other' as const,
          },
        }),
      )
      .then(() => 'recorded' as const)
      .catch((error: unknown) => {
        if (isDuplicateKeyError(error)) return 'duplicate' as const;
        this.logger.error({ callId: routed.callId, companyId: routed.company.id, err: { message: (error as Error).message } }, 'callback promise not recorded');
        return 'failed' as const;
      });
    const outcome = await Promise.race([write, new Promise<'pending'>((r) => setTimeout(() => r('pending'), PROMISE_WAIT_MS).unref())]);
    if (outcome === 'pending') void write.then((late) => callbackPromises().inc({ outcome: late }));
    else callbackPromises().inc({ outcome });
    return outcome !== 'failed';
  }
}

/** What the caller asked, for the staff member who calls back: the function and its plain arguments. */
export function describeWish(fn: string, args: Record<string, unknown>): string {
  const parts = Object.entries(args)
    .filter(([k, v]) => k !== 'call_id' && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && String(v).trim() !== '')
    .map(([k, v]) => `${k}: ${String(v).trim().slice(0, 200)}`);
  return `${fn || 'voice function'} (no answer in time)${parts.length ? ` — ${parts.join(', ')}` : ''}`.slice(0, 1000);
}
