import { Injectable } from '@nestjs/common';
import { Envelope, Topics } from '@receptionist/contracts';
import { OnEvent } from '@receptionist/service-runtime';
import { ReconciliationService } from './reconciliation.service';

/** Every company booking is set up for has a calendar to reconcile: it joins the schedule. */
@Injectable()
export class SetupTracker {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @OnEvent(Topics.bookingSetup.name)
  async onSetup(envelope: Envelope<{ companyId: string }>): Promise<void> {
    await this.reconciliation.track(envelope.data.companyId);
  }
}
