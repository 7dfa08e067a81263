import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { PrivacyExportReply, PrivacyService, PrivacySubject, Topics } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';

/** An export reads every record (and recordings) of a caller: longer than a list. */
export const PRIVACY_EXPORT_TIMEOUT_MS = 15_000;

const EXPORT_TOPIC: Record<PrivacyService, string> = {
  booking: Topics.privacyExportBooking.name,
  'voice-agent': Topics.privacyExportVoiceAgent.name,
  notification: Topics.privacyExportNotification.name,
  billing: Topics.privacyExportBilling.name,
  sync: Topics.privacyExportSync.name,
};

export type ServiceExport = NonNullable<PrivacyExportReply['data']>;

/** Asks one service for its part of a caller's data (request-reply on `privacy.export.<service>`). */
@Injectable()
export class PrivacyClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async export(service: PrivacyService, subject: PrivacySubject): Promise<ServiceExport> {
    let reply: PrivacyExportReply;
    try {
      reply = await this.messaging.client.request(
        EXPORT_TOPIC[service],
        { key: subject.companyId, companyId: subject.companyId, subject: subject.customerId, data: subject },
        PRIVACY_EXPORT_TIMEOUT_MS,
      );
    } catch (error) {
      const e = error as Error;
      this.logger.warn({ err: { name: e.name, message: e.message }, service, companyId: subject.companyId }, 'privacy export request failed');
      throw new ServiceUnavailableException(`${service} did not answer; nothing was changed, try again shortly`);
    }
    if (!reply?.ok || !reply.data) throw new ServiceUnavailableException(`${service} could not export the customer's data; try again shortly`);
    return reply.data;
  }
}
