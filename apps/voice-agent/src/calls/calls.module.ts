import { Module } from '@nestjs/common';
import { CallEventsHandler } from './call-events.handler';
import { CallFunctionsLog } from './call-functions.log';
import { CallRecordsService } from './call-records.service';
import { CallsResponder } from './calls.responder';
import { RecordingsService } from './recordings/recordings.service';
import { audioStorageProvider } from './recordings/storage.provider';
import { VoiceAgentPrivacyHandler } from '../privacy/privacy.handler';
import { RetentionService } from '../privacy/retention.service';

/** Call records from Retell's call webhooks: transcript, analysis, recording, functions, bookings; call.* facts. */
@Module({
  providers: [audioStorageProvider, CallRecordsService, RecordingsService, CallEventsHandler, CallsResponder, CallFunctionsLog, VoiceAgentPrivacyHandler, RetentionService],
  exports: [CallFunctionsLog],
})
export class CallsModule {}
