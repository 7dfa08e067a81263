import { Module } from '@nestjs/common';
import { ReconciliationService } from './reconciliation.service';
import { SetupTracker } from './setup-tracker';

/** Calendar reconciliation: cursors, leases, runs and findings (booking reads and repairs). */
@Module({ providers: [ReconciliationService, SetupTracker], exports: [ReconciliationService] })
export class ReconciliationModule {}
