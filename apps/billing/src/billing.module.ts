import { BillingPrivacyHandler } from './privacy/privacy.handler';
import { Module } from '@nestjs/common';
import { CreditNotesService } from './invoices/credit-notes.service';
import { InvoicesService } from './invoices/invoices.service';
import { LedgerService } from './ledger/ledger.service';
import { PricesService } from './prices/prices.service';
import { PricingModule } from './pricing/pricing.module';
import { PricingSetupHandler } from './pricing/pricing-setup.handler';
import { BillingRequestsHandler } from './requests/billing-requests.handler';
import { ExchangeRatesService } from './rates/exchange-rates.service';
import { CustomersService } from './stripe/customers.service';
import { StripeEventsHandler } from './stripe/stripe-events.handler';
import { StripeClient } from './stripe/stripe.client';
import { TopUpsService } from './topups/topups.service';
import { BillingJobs, UsageHandler } from './usage/usage.handler';
import { UsageService } from './usage/usage.service';
import { PlanJobs } from './plans/plan-jobs.service';
import { PlanUsage } from './plans/plan-usage';
import { PlansService } from './plans/plans.service';
import { SubscriptionsService } from './plans/subscriptions.service';

/** Ledger, usage debits, top-ups (also automatic), invoices (also partners' aggregate ones), credit notes, plans and subscriptions (Stripe Billing, dunning), Stripe events and the `billing.request` responder. */
@Module({
  imports: [PricingModule],
  providers: [
    LedgerService,
    PricesService,
    PricingSetupHandler,
    StripeClient,
    CustomersService,
    TopUpsService,
    InvoicesService,
    CreditNotesService,
    UsageService,
    UsageHandler,
    BillingPrivacyHandler,
    BillingJobs,
    StripeEventsHandler,
    BillingRequestsHandler,
    ExchangeRatesService,
    PlansService,
    PlanUsage,
    SubscriptionsService,
    PlanJobs,
  ],
})
export class BillingModule {}
