import { Module } from '@nestjs/common';
import { PricingRepository } from './pricing.repository';

/**
 * Company prices from onboarding (`company.setup.billing`); PricingRepository.forCompany is what billing charges by.
 * Its handler (PricingSetupHandler) lives in BillingModule: applying a set-up may change whether calls are refused.
 */
@Module({
  providers: [PricingRepository],
  exports: [PricingRepository],
})
export class PricingModule {}
