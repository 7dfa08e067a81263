import { Module } from '@nestjs/common';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { Logger } from 'pino';
import type { BookingEnv } from '../config';
import { CalcomClient } from './calcom.client';
import { calcomOptionsFromEnv } from './calcom.options';
import { CalcomHealthContributor } from './calcom.health';
import { CalendarProviders } from './calendar-provider';

/**
 * The platform's CalcomClient (one breaker, one connection pool) and CalendarProviders, which gives each company its
 * own calendar (its own account's client, or this one). Needs ServiceRuntimeModule's config and logger. */
@Module({
  providers: [
    {
      provide: CalcomClient,
      useFactory: (config: BookingEnv, logger: Logger) => new CalcomClient(calcomOptionsFromEnv(config, logger)),
      inject: [SERVICE_CONFIG, LOGGER],
    },
    CalcomHealthContributor,
    CalendarProviders,
  ],
  exports: [CalcomClient, CalendarProviders],
})
export class CalcomModule {}
