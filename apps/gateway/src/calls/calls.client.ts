import { BadRequestException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics, VoiceCallsRequest, voiceCallsReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';

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
    let raw: unknown;
    try {
      raw = await this.messaging.client.request(
        Topics.voiceCallsRequest.name,
        { key: request.companyId, companyId: request.companyId, subject: 'callId' in request ? request.callId : null, data: request },
        CALLS_REQUEST_TIMEOUT_MS,
      );
    } catch (error) {
      const e = error as Error;
      this.logger.warn({ err: { name: e.name, message: e.message }, operation: request.operation, companyId: request.companyId }, 'voice.calls.request failed');
      throw new ServiceUnavailableException('call records are not available right now; try again shortly');
    }
    const reply = voiceCallsReplySchema.safeParse(raw);
    if (!reply.success) throw new ServiceUnavailableException('call records are not available right now; try again shortly');
    if (reply.data.ok) return reply.data.data ?? {};
    if (reply.data.code === 'invalid_request') {
      const field = reply.data.detail?.split(':')[0] ?? 'query';
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: reply.data.detail ?? 'invalid request', field });
    }
    if (reply.data.code === 'recording_unavailable') throw new NotFoundException('the recording is not stored yet');
    throw new NotFoundException(notFound);
  }
}
