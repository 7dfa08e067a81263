import { applyDecorators, CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import twilio from 'twilio';
import { LOGGER, Public, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../../config';
import { SkipRateLimit } from '../../rate-limit';
import { twilioWebhooks } from './twilio-webhooks.metrics';

export type TwilioRequest = FastifyRequest & { body?: unknown };

/** Form fields as Twilio sent them (the gateway's form parser keeps repeated fields as arrays). */
export function formParams(request: TwilioRequest): Record<string, string | string[]> {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.map(String);
  }
  return out;
}

/**
 * `X-Twilio-Signature` over the URL Twilio called and the sorted form fields, keyed by TWILIO_AUTH_TOKEN, checked
 * with the SDK's own `validateRequest` (constant-time, with and without the default port). The URL is the configured
 * public one (TWILIO_WEBHOOK_BASE_URL, else APP_URL, + path and query), never one built from the Host header: a
 * signed request captured at one address must not be accepted when sent with another Host. Missing or wrong: 403
 * and nothing else happens. No token configured: every callback is refused.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  private readonly authToken: string | undefined;
  private readonly publicBase: string;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayEnv, @Inject(LOGGER) private readonly logger: Logger) {
    this.authToken = config.TWILIO_AUTH_TOKEN;
    this.publicBase = (config.TWILIO_WEBHOOK_BASE_URL ?? config.APP_URL).replace(/\/+$/, '');
    if (!this.authToken) logger.warn('no TWILIO_AUTH_TOKEN: every Twilio webhook will be refused');
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<TwilioRequest>();
    const kind = request.url.includes('/inbound') ? 'inbound' : 'status';
    const header = request.headers['x-twilio-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const params = formParams(request);
    const url = `${this.publicBase}${request.url}`;
    const valid = !!this.authToken && !!signature && twilio.validateRequest(this.authToken, signature, url, params);
    if (!valid) {
      twilioWebhooks().inc({ kind, outcome: signature ? 'bad_signature' : 'no_signature' });
      this.logger.warn({ kind, path: request.url.split('?')[0] }, 'Twilio webhook refused: missing or invalid X-Twilio-Signature');
      throw new ForbiddenException('missing or invalid X-Twilio-Signature');
    }
    return true;
  }
}

/** A route Twilio calls: no bearer token (Twilio signs instead), not rate-limited, signature checked first. */
export const TwilioWebhookRoute = () => applyDecorators(Public(), SkipRateLimit(), UseGuards(TwilioSignatureGuard));
