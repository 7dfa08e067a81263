import { Module } from '@nestjs/common';
import { BalanceEventsHandler } from './balance-events.handler';
import { CallAcceptanceRepository } from './call-acceptance.repository';

/** Whether each company's inbound calls are taken, kept from billing's balance facts. */
@Module({
  providers: [CallAcceptanceRepository, BalanceEventsHandler],
  exports: [CallAcceptanceRepository],
})
export class CallAcceptanceModule {}
