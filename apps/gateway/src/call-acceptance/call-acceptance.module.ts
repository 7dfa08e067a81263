import { Module } from '@nestjs/common';
import { BalanceEventsHandler } from './balance-events.handler';
import { CallAcceptanceRepository } from './call-acceptance.repository';
import { PlanEventsHandler } from './plan-events.handler';

/** Whether each company's inbound calls are taken, kept from billing's balance and plan (dunning) facts. */
@Module({
  providers: [CallAcceptanceRepository, BalanceEventsHandler, PlanEventsHandler],
  exports: [CallAcceptanceRepository],
})
export class CallAcceptanceModule {}
