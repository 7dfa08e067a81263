import { ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { BillingRequest, Topics, billingReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest, refusedField } from '../common/ask-owner';

/** How long the admin API waits for billing (which owns accounts, ledger and invoices) before answering 503. */
export const BILLING_REQUEST_TIMEOUT_MS = 8000;

/**
 * Asks billing over request-reply on `billing.request`. The company always comes from the path the AuthGuard has
 * checked against the token; billing answers only within it. Billing's refusals become HTTP answers here.
 */
@Injectable()
export class BillingClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(request: BillingRequest, notFound = 'not found'): Promise<Record<string, unknown>> {
    const { ok, code, detail, data } = await askOwner(this.messaging, this.logger, {
      topic: Topics.billingRequest.name,
      companyId: request.companyId,
      subject: null,
      request,
      timeoutMs: BILLING_REQUEST_TIMEOUT_MS,
      schema: billingReplySchema,
      unavailable: 'billing is not available right now; try again shortly',
    });
    if (ok) return data ?? {};
    switch (code) {
      case 'invalid_request':
        throw refusedAsBadRequest(detail, 'body');
      case 'unknown_company':
        throw new NotFoundException('billing is not set up for this company');
      case 'not_found':
        throw new NotFoundException(notFound);
      case 'conflict':
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: detail ?? code, field: refusedField(detail, 'body') });
      case 'nothing_to_invoice':
      case 'usage_not_rated':
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: detail ?? code, field: refusedField(detail, 'period') });
      case 'rates_unavailable':
        throw new ServiceUnavailableException('exchange rates unavailable; amounts in the account currency are unaffected; try again shortly');
      case 'payment_provider_unavailable':
        throw new ServiceUnavailableException('the payment provider is not reachable right now; nothing was charged; try again shortly');
      default:
        this.logger.error({ operation: request.operation, companyId: request.companyId, code }, 'billing answered with an internal error');
        throw new ServiceUnavailableException('billing could not answer; try again shortly');
    }
  }
}
