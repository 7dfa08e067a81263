import { BadRequestException, Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RequireAbility } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import type { ImportDocument } from './import-document';
import { ImportBodyPipe } from './import-body.pipe';
import { OnboardingService } from './onboarding.service';

export const MAX_WAIT_SECONDS = 30;

function parseWait(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d{1,2}$/.test(value) || Number(value) > MAX_WAIT_SECONDS) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `wait: must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}`, field: 'wait' });
  }
  return Number(value);
}

/**
 * Onboarding in one step (docs/onboarding.md). Platform admins import a company's whole set-up from one JSON or
 * YAML file; the company's own admins can read how far its parts have been applied.
 */
@Controller('api/v1/companies')
export class OnboardingController {
  constructor(private readonly onboarding: OnboardingService) {}

  /**
   * Creates or updates the company named by `company.key` (or its name) and everything in the file. 200 when
   * every part is applied by its owner (at once, or within `?wait=` seconds), 202 with `pending` otherwise.
   */
  @Post('import')
  @RequireAbility('companies.create')
  async import(
    @CurrentActor() actor: Actor,
    @Body(new ImportBodyPipe()) doc: ImportDocument,
    @Query('wait') wait: string | undefined,
    @Query('resend') resend: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.onboarding.import(actor, doc, { waitSeconds: parseWait(wait), resend: resend === 'true' || resend === '1' });
    reply.status(result.applied ? 200 : 202);
    return result;
  }

  @Get(':companyId/setup')
  @RequireAbility('companies.read')
  setup(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return this.onboarding.setup(actor, companyId);
  }
}
