import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, Topics, bookingCreatedSchema, retellCallWebhookSchema } from '@receptionist/contracts';
import { Inbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';
import { CallRecordsService } from './call-records.service';
import { callWebhooksApplied, recordingDownloads } from './calls.metrics';
import { RecordingsService } from './recordings/recordings.service';
import { servesCompany } from './serves-company';

type RetellCallWebhook = z.output<typeof retellCallWebhookSchema>;
type BookingCreated = z.output<typeof bookingCreatedSchema>;

const WEBHOOK_CONSUMER = 'voice-agent.call-records';
const BOOKING_CONSUMER = 'voice-agent.call-bookings';

/**
 * Builds call records from Retell's call webhooks (`retell.call.webhook`, keyed by call id, so one call's events
 * are handled in order by one instance) and notes the appointments booked in a call (`booking.created`).
 * Effects commit with the inbox row: a redelivered message changes nothing.
 */
@Injectable()
export class CallEventsHandler {
  private readonly serves: (companyId: string | null) => boolean;

  constructor(
    private readonly inbox: Inbox,
    private readonly records: CallRecordsService,
    private readonly recordings: RecordingsService,
    private readonly runtime: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: VoiceAgentEnv,
  ) {
    this.serves = servesCompany(config);
  }

  @OnEvent(Topics.retellCallWebhook.name)
  async onCallWebhook(envelope: Envelope<RetellCallWebhook>): Promise<void> {
    const { event, callId, agentId, receivedAt, call } = envelope.data;
    if (!this.serves(envelope.companyId)) return;
    if (!envelope.companyId) this.logger.warn({ callId, agentId, event }, 'call webhook of no known company (agent not routed); kept without a company');
    const outcome = await this.inbox.handleOnce(WEBHOOK_CONSUMER, envelope, (manager) =>
      this.records.applyWebhook(manager, { companyId: envelope.companyId, event, callId, agentId, receivedAt: new Date(receivedAt), call }),
    );
    callWebhooksApplied().inc({ event, outcome: outcome.duplicate ? 'duplicate' : 'applied' });
    // Outbox rows written inside the inbox transaction do not wake the relay by themselves.
    this.runtime.relay.wake();
    if (!outcome.duplicate && outcome.result.recordingPending) this.recordings.kick(callId);
    if (!outcome.duplicate && outcome.result.recordingRefused) {
      recordingDownloads().inc({ outcome: 'refused' });
      this.logger.warn({ callId, companyId: envelope.companyId, reason: outcome.result.recordingRefused }, 'recording not fetched: its host is not allowed');
    }
  }

  @OnEvent(Topics.bookingCreated.name)
  async onBookingCreated(envelope: Envelope<BookingCreated>): Promise<void> {
    const { callId, appointmentId } = envelope.data;
    const companyId = envelope.companyId;
    if (!callId || !companyId || !this.serves(companyId)) return;
    await this.inbox.handleOnce(BOOKING_CONSUMER, envelope, (manager) => this.records.addBooking(manager, companyId, callId.slice(0, 128), appointmentId));
    this.runtime.relay.wake();
  }
}
