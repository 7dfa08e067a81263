import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { migrations } from './migrations';
import { PricingModule } from './pricing/pricing.module';
import { BillingModule } from './billing.module';

/** Owns billing accounts, the ledger, prices, Stripe customers and invoices. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations }),
        PricingModule,
        BillingModule,
      ],
    };
  }
}
