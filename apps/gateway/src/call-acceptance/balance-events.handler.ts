import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { balanceExhaustedSchema, balanceRestoredSchema, Envelope, Topics } from '@receptionist/contracts';
import { Inbox } from '@receptionist/messaging';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CallAcceptanceRepository } from './call-acceptance.repository';
import { callAcceptanceChanges } from './call-acceptance.metrics';

const CONSUMER = 'gateway.call-acceptance';

/**
 * Billing decides when a company must refuse calls (prepaid, balance exhausted, `refuseCallsWhenExhausted`; a
 * partner's managed, postpaid company never gets `balance.exhausted`) and says so in `balance.exhausted`
 * {refuseCalls}; `balance.restored` (the balance left `exhausted` again) takes it back. Each fact is applied once
 * (inbox); calls already running are not touched, only the next inbound call is answered differently.
 */
@Injectable()
export class BalanceEventsHandler {
  constructor(
    private readonly acceptance: CallAcceptanceRepository,
    private readonly inbox: Inbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.balanceExhausted.name)
  async onExhausted(envelope: Envelope<z.output<typeof balanceExhaustedSchema>>): Promise<void> {
    const { refuseCalls, balance, currency } = envelope.data;
    await this.record(envelope, { refusing: refuseCalls, reason: refuseCalls ? 'balance_exhausted' : null, balance, currency });
  }

  @OnEvent(Topics.balanceRestored.name)
  async onRestored(envelope: Envelope<z.output<typeof balanceRestoredSchema>>): Promise<void> {
    const { balance, currency } = envelope.data;
    await this.record(envelope, { refusing: false, reason: null, balance, currency });
  }

  private async record(envelope: Envelope, state: { refusing: boolean; reason: 'balance_exhausted' | null; balance: number; currency: string }) {
    if (!envelope.companyId) return;
    const companyId = envelope.companyId;
    const outcome = await this.inbox.handleOnce(CONSUMER, envelope, (manager) =>
      this.acceptance.apply(manager, { companyId, ...state, eventId: envelope.id, eventTime: new Date(envelope.time) }),
    );
    if (outcome.duplicate) return;
    callAcceptanceChanges().inc({ state: state.refusing ? 'refusing' : 'accepting', applied: String(outcome.result) });
    this.logger.info({ companyId, refusing: state.refusing, reason: state.reason, applied: outcome.result }, 'call acceptance changed');
  }
}
