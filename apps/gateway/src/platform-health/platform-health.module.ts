import { Module } from '@nestjs/common';
import { CalcomProbe } from './calcom-probe';
import { PlatformHealthController } from './platform-health.controller';
import { ServiceStatusHandler } from './service-status.handler';
import { ServiceStatusRepository } from './service-status.repository';
import { ReplyTopicSweeper } from './reply-topic-sweeper';

/** Readiness of every service as seen over Kafka (heartbeats), and the operators' health views (detailed, metrics, Cal.com). */
@Module({
  controllers: [PlatformHealthController],
  providers: [ServiceStatusRepository, ServiceStatusHandler, CalcomProbe, ReplyTopicSweeper],
})
export class PlatformHealthModule {}
