import { Module } from '@nestjs/common';
import { PlatformHealthController } from './platform-health.controller';
import { ServiceStatusHandler } from './service-status.handler';
import { ServiceStatusRepository } from './service-status.repository';

/** Readiness of every service as seen over Kafka (heartbeats), and the operators' detailed health view. */
@Module({
  controllers: [PlatformHealthController],
  providers: [ServiceStatusRepository, ServiceStatusHandler],
})
export class PlatformHealthModule {}
