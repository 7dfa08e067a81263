import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitGuard } from './rate-limit.guard';

/**
 * Redis-backed rate limits shared by all gateway instances (see sliding-window.limiter.ts). Import it after the
 * identity/auth modules so that their global guard has set `request.principal` before this one runs.
 */
@Module({
  providers: [RateLimitGuard, { provide: APP_GUARD, useExisting: RateLimitGuard }],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
