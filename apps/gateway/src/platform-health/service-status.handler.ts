import { Injectable } from '@nestjs/common';
import { Topics, Envelope } from '@receptionist/contracts';
import { OnEvent } from '@receptionist/service-runtime';
import { Heartbeat, ServiceStatusRepository } from './service-status.repository';

@Injectable()
export class ServiceStatusHandler {
  constructor(private readonly statuses: ServiceStatusRepository) {}

  /** Idempotent by nature (last value wins), so no inbox record is needed. */
  @OnEvent(Topics.serviceHeartbeat.name)
  async onHeartbeat(envelope: Envelope<Heartbeat>): Promise<void> {
    await this.statuses.record(envelope.data);
  }
}
