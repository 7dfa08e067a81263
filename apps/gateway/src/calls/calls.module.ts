import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { CallsClient } from './calls.client';
import { CallsController } from './calls.controller';

/** Admin API for call records (voice-agent owns them; asked over `voice.calls.request`). */
@Module({
  imports: [CompaniesModule],
  controllers: [CallsController],
  providers: [CallsClient],
})
export class CallsModule {}
