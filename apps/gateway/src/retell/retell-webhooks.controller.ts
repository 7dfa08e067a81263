import { BadRequestException, Controller, HttpCode, PayloadTooLargeException, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { messageIdFrom, retellCallEvents, Topics, createEnvelope } from '@receptionist/contracts';
import { isMessageTooLargeError } from '@receptionist/messaging';
import { MessagingRuntime } from '@receptionist/service-runtime';
import { readInboundCall } from './call-context';
import { CallRouter } from './call-router';
import { InboundCallService } from './inbound-call.service';
import { RetellRequest, RetellWebhookRoute } from './retell.guard';
import { retellWebhooks } from './retell.metrics';

const KNOWN = new Set<string>(retellCallEvents);

/** Envelope id from the event's identity, so a redelivered webhook is the same message (voice-agent's inbox skips it). */
function webhookMessageId(event: string, callId: string, raw: Buffer | undefined): string {
  // transcript_updated comes many times per call: each distinct body is its own message.
  return messageIdFrom(`${event}\n${callId}\n`, ...(event === 'transcript_updated' && raw ? [raw] : []));
}

/**
 * Retell's call webhooks (`POST /api/webhooks/retell`, legacy `POST /api/webhook`). A call event is acknowledged
 * (204) only once it is on Kafka with acks from all in-sync replicas; voice-agent builds the call record from it.
 * `call_inbound` on this URL is answered like the inbound webhook. Unknown events: 204, counted, not forwarded.
 */
@Controller()
export class RetellWebhooksController {
  constructor(
    private readonly messaging: MessagingRuntime,
    private readonly router: CallRouter,
    private readonly inboundCalls: InboundCallService,
  ) {}

  @Post(['api/webhooks/retell', 'api/webhook'])
  @HttpCode(204)
  @RetellWebhookRoute()
  async receive(@Req() req: RetellRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const event = typeof body.event === 'string' ? body.event : null;
    if (!event) return this.malformed('event', 'is required');
    if (event === 'call_inbound') {
      const invocation = readInboundCall(req);
      const answer = await this.inboundCalls.answer(invocation, await this.router.route(invocation), req.rawBody);
      reply.status(200);
      return answer;
    }
    if (!KNOWN.has(event)) {
      retellWebhooks().inc({ event: 'unknown', outcome: 'ignored' });
      return;
    }
    const call = body.call && typeof body.call === 'object' && !Array.isArray(body.call) ? (body.call as Record<string, unknown>) : null;
    if (!call) return this.malformed('call', 'must be the call object');
    const callId = typeof call.call_id === 'string' && call.call_id.trim() ? call.call_id.trim() : null;
    if (!callId) return this.malformed('call.call_id', 'is required');
    const agentId = typeof call.agent_id === 'string' ? call.agent_id : null;
    const routed = agentId ? await this.router.route({ callId, agentId, fromNumber: null, toNumber: null }) : null;
    const envelope = createEnvelope({
      id: webhookMessageId(event, callId, req.rawBody),
      type: Topics.retellCallWebhook.name,
      source: 'gateway',
      companyId: routed?.company.id ?? null,
      subject: callId,
      data: { event: event as (typeof retellCallEvents)[number], callId, agentId, receivedAt: new Date().toISOString(), call },
    });
    try {
      await this.messaging.producer.publish({ topic: Topics.retellCallWebhook.name, key: callId, envelope });
    } catch (error) {
      // Not on Kafka, so never a 2xx: too large even compressed is this request's own 413; anything else a 500 Retell retries.
      if (!isMessageTooLargeError(error)) throw error;
      retellWebhooks().inc({ event, outcome: 'too_large' });
      throw new PayloadTooLargeException(`call: the call object is too large to record, even compressed (topic ${Topics.retellCallWebhook.name})`);
    }
    retellWebhooks().inc({ event, outcome: routed ? 'accepted' : 'accepted_unrouted' });
  }

  private malformed(field: string, problem: string): never {
    retellWebhooks().inc({ event: 'malformed', outcome: 'rejected' });
    throw new BadRequestException(`${field}: ${problem}`);
  }
}
