import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { CallsClient } from './calls.client';
import { CallsController } from './calls.controller';
import { RecordingLinks, RecordingLinksController, RecordingStreamer } from './recordings';

/** Admin API for call records (voice-agent owns them; asked over `voice.calls.request`). */
@Module({
  imports: [CompaniesModule],
  controllers: [CallsController, RecordingLinksController],
  providers: [CallsClient, RecordingStreamer, RecordingLinks],
})
export class CallsModule {}
