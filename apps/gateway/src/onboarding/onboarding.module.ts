import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { CompaniesModule } from '../companies/companies.module';
import { YAML_CONTENT_TYPES } from './import-document';
import { OnboardingController } from './onboarding.controller';
import { OnboardingService } from './onboarding.service';
import { SetupAppliedHandler } from './setup-applied.handler';
import { SetupStatusRepository } from './setup-status.repository';

/** `POST /api/v1/companies/import` and `GET /api/v1/companies/:companyId/setup` (docs/onboarding.md). */
@Module({
  imports: [CompaniesModule],
  controllers: [OnboardingController],
  providers: [OnboardingService, SetupStatusRepository, SetupAppliedHandler],
  exports: [OnboardingService],
})
export class OnboardingModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** YAML bodies reach the import route as text (same 1 MiB limit); the route parses and validates them. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify || YAML_CONTENT_TYPES.some((t) => fastify.hasContentTypeParser(t))) return;
    fastify.addContentTypeParser(YAML_CONTENT_TYPES, { parseAs: 'string', bodyLimit: fastify.initialConfig.bodyLimit }, (_request, body, done) => done(null, body));
  }
}
