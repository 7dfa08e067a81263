import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { LiveEventsController } from './live-events.controller';
import { LiveEventsHub } from './live-events.hub';

/** Live updates for the web console: the company's call, booking and balance facts as server-sent events. */
@Module({
  imports: [CompaniesModule],
  controllers: [LiveEventsController],
  providers: [LiveEventsHub],
})
export class LiveEventsModule {}
