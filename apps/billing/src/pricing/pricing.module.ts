import { Module } from '@nestjs/common';
import { PricingSetupHandler } from './pricing-setup.handler';
import { PricingRepository } from './pricing.repository';

/** Company prices from onboarding (`company.setup.billing`); PricingRepository.forCompany is what billing charges by. */
@Module({
  providers: [PricingRepository, PricingSetupHandler],
  exports: [PricingRepository],
})
export class PricingModule {}
