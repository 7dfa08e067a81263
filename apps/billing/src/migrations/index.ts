import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { CompanyPricing1732650000000 } from './1732650000000-company-pricing';
import { BillingLedger1732700000000 } from './1732700000000-ledger';
import { BillingPaymentsPartners1732900000000 } from './1732900000000-payments-partners';
import { BillingPartnerSettlement1733000000000 } from './1733000000000-partner-settlement';
import { BillingUnratedUsage1734120000000 } from './1734120000000-unrated-usage';
import { BillingPlans1734300000000 } from './1734300000000-plans';

/** billing's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, MessagingRetention1734200000000, CompanyPricing1732650000000, BillingLedger1732700000000, BillingPaymentsPartners1732900000000, BillingPartnerSettlement1733000000000, BillingUnratedUsage1734120000000, BillingPlans1734300000000];
