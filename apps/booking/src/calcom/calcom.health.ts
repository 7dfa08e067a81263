import { Injectable, OnModuleInit } from '@nestjs/common';
import { MessagingRuntime } from '@receptionist/service-runtime';
import { CalcomClient } from './calcom.client';

/**
 * Reports the Cal.com circuit breaker in booking's heartbeat as `calcom.breaker` (detail closed / half-open / open),
 * which the gateway shows in /api/health/detailed and /api/health/calcom. Informational: an open breaker does not
 * make booking unready, since restarting or draining it would not bring Cal.com back.
 */
@Injectable()
export class CalcomHealthContributor implements OnModuleInit {
  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly client: CalcomClient,
  ) {}

  onModuleInit(): void {
    this.runtime.registerCheck('calcom.breaker', () => {
      const state = this.client.breakerState;
      return { ok: state === 'closed', detail: state };
    });
  }
}
