import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, setupAppliedSchema, Topics } from '@receptionist/contracts';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { SetupStatusRepository } from './setup-status.repository';

/** Records each owner's `company.setup.applied` answer; the import's `?wait=` and GET …/setup read it. */
@Injectable()
export class SetupAppliedHandler {
  constructor(
    private readonly statuses: SetupStatusRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Last answer for the revision last sent wins, so a redelivery changes nothing and needs no inbox record. */
  @OnEvent(Topics.setupApplied.name)
  async onApplied(envelope: Envelope<z.output<typeof setupAppliedSchema>>): Promise<void> {
    const { companyId, part, revision, outcome, appliedAt } = envelope.data;
    const recorded = await this.statuses.markApplied(companyId, part, revision, outcome, new Date(appliedAt));
    this.logger.debug({ companyId, part, revision, outcome, recorded }, 'set-up part answered');
  }
}
