import { Inject, Injectable } from '@nestjs/common';
import { Envelope, Topics, VoiceCallsReply, voiceCallsRequestSchema } from '@receptionist/contracts';
import { NO_REPLY } from '@receptionist/messaging';
import { OnRequest, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';
import { CallRecordsService, InvalidCursorError } from './call-records.service';
import { RecordingsService } from './recordings/recordings.service';
import { servesCompany } from './serves-company';
import { RetentionService } from '../privacy/retention.service';

/**
 * Answers the gateway's admin API on `voice.calls.request`: list calls, one call, a piece of its recording.
 * Every answer is within the request's `companyId` (set by the gateway from the token and path): another
 * company's call is `not_found`, exactly like a call that does not exist.
 */
@Injectable()
export class CallsResponder {
  private readonly serves: (companyId: string | null) => boolean;

  constructor(
    private readonly records: CallRecordsService,
    private readonly recordings: RecordingsService,
    private readonly retention: RetentionService,
    @Inject(SERVICE_CONFIG) config: VoiceAgentEnv,
  ) {
    this.serves = servesCompany(config);
  }

  @OnRequest(Topics.voiceCallsRequest.name)
  async onRequest(envelope: Envelope): Promise<VoiceCallsReply | typeof NO_REPLY> {
    const parsed = voiceCallsRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${i.path.join('.') || 'request'}: ${i.message}` };
    }
    const request = parsed.data;
    // Another instance's company (test instances on a shared broker): that instance answers.
    if (!this.serves(request.companyId)) return NO_REPLY;
    switch (request.operation) {
      case 'calls.list':
        try {
          return { ok: true, data: await this.records.list(request.companyId, request) };
        } catch (error) {
          if (error instanceof InvalidCursorError) return { ok: false, code: 'invalid_request', detail: error.message };
          throw error;
        }
      case 'call.get': {
        const call = await this.records.get(request.companyId, request.callId);
        return call ? { ok: true, data: call } : { ok: false, code: 'not_found' };
      }
      case 'recording.read': {
        const rec = await this.recordings.find(request.companyId, request.callId);
        if (!rec) return { ok: false, code: 'not_found' };
        if (rec.status !== 'stored' || !rec.storage_key) return { ok: false, code: 'recording_unavailable', detail: 'the recording has not been stored yet' };
        const size = Number(rec.size_bytes);
        const chunk = request.offset >= size ? Buffer.alloc(0) : await this.recordings.read(rec.storage_key, request.offset, request.length);
        return {
          ok: true,
          data: { sizeBytes: size, sha256: rec.sha256, contentType: rec.content_type, offset: request.offset, base64: chunk.toString('base64') },
        };
      }
      case 'retention.get':
        return { ok: true, data: await this.retention.get(request.companyId) };
      case 'retention.set':
        return { ok: true, data: await this.retention.set(request.companyId, request.recordingsDays, request.transcriptsDays) };
    }
  }
}
