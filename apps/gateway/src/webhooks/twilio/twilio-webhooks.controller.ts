import { BadRequestException, Controller, Header, HttpCode, Post, Query, Req } from '@nestjs/common';
import twilio from 'twilio';
import { messageIdFrom, Topics } from '@receptionist/contracts';
import { isDuplicateKeyError, Outbox, OutboxEvent } from '@receptionist/messaging';
import { formParams, TwilioRequest, TwilioWebhookRoute } from './twilio-signature.guard';
import { twilioWebhooks } from './twilio-webhooks.metrics';

const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();

function flat(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
}

/**
 * The envelope id of a callback: Twilio's `MessageSid` (+ the status it reports) identifies it, so a redelivery or a
 * replay of the same signed request is the same message.
 */
export const statusMessageId = (messageSid: string, status: string) => messageIdFrom(`twilio:status:${messageSid}:${status}`);
export const inboundMessageId = (messageSid: string) => messageIdFrom(`twilio:inbound:${messageSid}`);

function required(params: Record<string, string>, field: string, kind: string): string {
  const value = params[field]?.trim();
  if (!value) {
    twilioWebhooks().inc({ kind, outcome: 'malformed' });
    throw new BadRequestException(`${field}: is required`);
  }
  return value;
}

/**
 * Twilio's message webhooks, forwarded to notification as events through the gateway's outbox (acknowledged once
 * the outbox row is committed; the relay publishes it). The envelope id is derived from the `MessageSid`, so a
 * callback Twilio redelivers (or anyone replays) is written once: the second copy meets the outbox's unique message
 * id and is acknowledged without being forwarded again.
 *
 * - `POST /api/webhooks/twilio/status`: status callbacks (`MessageStatus`, `ErrorCode`); the callback URL notification
 *   gave Twilio carries `company` and `message`, covered by the signature like the rest of the URL.
 * - `POST /api/webhooks/twilio/inbound`: customers' replies (STOP, START, …); answered with empty TwiML, the answer
 *   (if any) is notification's to send.
 */
@Controller('api/webhooks/twilio')
export class TwilioWebhooksController {
  constructor(private readonly outbox: Outbox) {}

  @Post('status')
  @HttpCode(204)
  @TwilioWebhookRoute()
  async status(@Req() request: TwilioRequest, @Query('company') company?: string, @Query('message') message?: string): Promise<void> {
    const params = flat(formParams(request));
    const data = {
      accountSid: required(params, 'AccountSid', 'status'),
      messageSid: required(params, 'MessageSid', 'status'),
      messageStatus: required(params, 'MessageStatus', 'status'),
      errorCode: params.ErrorCode?.trim() || null,
      to: params.To ?? null,
      from: params.From ?? null,
      notificationMessageId: typeof message === 'string' && message ? message : null,
      notificationCompanyId: typeof company === 'string' && company ? company : null,
      params,
      receivedAt: new Date().toISOString(),
    };
    const outcome = await this.forward({
      id: statusMessageId(data.messageSid, data.messageStatus),
      topic: Topics.twilioMessageStatus.name,
      key: data.messageSid,
      companyId: data.notificationCompanyId,
      subject: data.messageSid,
      data,
    });
    twilioWebhooks().inc({ kind: 'status', outcome });
  }

  @Post('inbound')
  @HttpCode(200)
  @Header('content-type', 'text/xml; charset=utf-8')
  @TwilioWebhookRoute()
  async inbound(@Req() request: TwilioRequest): Promise<string> {
    const params = flat(formParams(request));
    const data = {
      accountSid: required(params, 'AccountSid', 'inbound'),
      messageSid: required(params, 'MessageSid', 'inbound'),
      from: required(params, 'From', 'inbound'),
      to: required(params, 'To', 'inbound'),
      body: params.Body ?? '',
      params,
      receivedAt: new Date().toISOString(),
    };
    const outcome = await this.forward({ id: inboundMessageId(data.messageSid), topic: Topics.twilioMessageInbound.name, key: data.from, companyId: null, subject: data.messageSid, data });
    twilioWebhooks().inc({ kind: 'inbound', outcome });
    return EMPTY_TWIML;
  }

  /** Writes the event to the outbox; one already written under the same id is a duplicate, answered like the first. */
  private async forward<T>(event: OutboxEvent<T>): Promise<'forwarded' | 'duplicate'> {
    try {
      await this.outbox.transaction((_manager, publish) => publish(event));
      return 'forwarded';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'duplicate';
      throw error;
    }
  }
}
