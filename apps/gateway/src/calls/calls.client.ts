import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics, VoiceCallsRequest, voiceCallsReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest } from '../common/ask-owner';

/** How long the admin API waits for voice-agent (which owns call records) before answering 503. */
export const CALLS_REQUEST_TIMEOUT_MS = 5000;

/**
 * Asks voice-agent over request-reply on `voice.calls.request`. The company always comes from the path the
 * AuthGuard has checked against the token; voice-agent answers only within it.
 */
@Injectable()
export class CallsClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(request: VoiceCallsRequest, notFound = 'call not found'): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.voiceCallsRequest.name,
      companyId: request.companyId,
      subject: 'callId' in request ? request.callId : null,
      request,
      timeoutMs: CALLS_REQUEST_TIMEOUT_MS,
      schema: voiceCallsReplySchema,
      unavailable: 'call records are not available right now; try again shortly',
    });
    if (reply.ok) return reply.data ?? {};
    if (reply.code === 'invalid_request') throw refusedAsBadRequest(reply.detail, 'query');
    if (reply.code === 'recording_unavailable') throw new NotFoundException('the recording is not stored yet');
    throw new NotFoundException(notFound);
  }
}
