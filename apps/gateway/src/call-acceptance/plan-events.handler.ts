import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, planReinstatedSchema, planSuspendedSchema, Topics } from '@receptionist/contracts';
import { Inbox } from '@receptionist/messaging';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CallAcceptanceRepository } from './call-acceptance.repository';
import { callAcceptanceChanges } from './call-acceptance.metrics';

const CONSUMER = 'gateway.call-acceptance.plan';

/**
 * Billing's dunning decides when an unpaid plan refuses calls: `plan.suspended` (the grace period ended unpaid,
 * with the company's refusal message) and `plan.reinstated` (paid). Applied once each (inbox); an older fact
 * arriving after a newer one changes nothing (event time). The next inbound call is answered accordingly.
 */
@Injectable()
export class PlanEventsHandler {
  constructor(
    private readonly acceptance: CallAcceptanceRepository,
    private readonly inbox: Inbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.planSuspended.name)
  onSuspended(envelope: Envelope<z.output<typeof planSuspendedSchema>>): Promise<void> {
    return this.record(envelope, true, envelope.data.message);
  }

  @OnEvent(Topics.planReinstated.name)
  onReinstated(envelope: Envelope<z.output<typeof planReinstatedSchema>>): Promise<void> {
    return this.record(envelope, false, null);
  }

  private async record(envelope: Envelope, refusing: boolean, message: string | null) {
    if (!envelope.companyId) return;
    const companyId = envelope.companyId;
    const outcome = await this.inbox.handleOnce(CONSUMER, envelope, (manager) =>
      this.acceptance.applyPlan(manager, { companyId, refusing, message, eventId: envelope.id, eventTime: new Date(envelope.time) }),
    );
    if (outcome.duplicate) return;
    callAcceptanceChanges().inc({ state: refusing ? 'refusing' : 'accepting', applied: String(outcome.result) });
    this.logger.info({ companyId, refusing, reason: 'plan_unpaid', applied: outcome.result }, 'call acceptance changed');
  }
}
