import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, Topics, callbackPromisedSchema } from '@receptionist/contracts';
import { PermanentMessageError } from '@receptionist/messaging';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { CallbacksService } from './callbacks.service';

type CallbackPromise = z.output<typeof callbackPromisedSchema>;

/**
 * The gateway's spoken fallback promised the caller a call back (`voice.callback-promised`): recorded as a callback
 * request under the promise's wish id, so a redelivery, and voice-agent recording the same request's wish when its
 * answer came late, add nothing (CallbacksService.request).
 */
@Injectable()
export class CallbackPromisesHandler {
  constructor(
    private readonly callbacks: CallbacksService,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.callbackPromised.name)
  async onPromised(envelope: Envelope<CallbackPromise>): Promise<void> {
    const companyId = envelope.companyId;
    if (!companyId) throw new PermanentMessageError('companyId: missing on the envelope; the promise cannot be attributed to a company', 'company');
    if (!this.companies.serves(companyId)) return;
    const d = envelope.data;
    const { callbackRequestId } = await this.callbacks.request({
      operation: 'callback.request',
      companyId,
      callId: d.callId,
      wishId: d.wishId,
      name: null,
      phone: d.phone,
      wish: d.wish,
      reason: d.reason,
    });
    this.logger.info({ companyId, callId: d.callId, callbackRequestId }, 'callback promised by the gateway recorded');
  }
}
