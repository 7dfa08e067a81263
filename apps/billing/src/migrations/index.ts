import { MessagingTables1732400000000 } from '@receptionist/messaging';
import { CompanyPricing1732650000000 } from './1732650000000-company-pricing';
import { BillingLedger1732700000000 } from './1732700000000-ledger';

/** billing's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, CompanyPricing1732650000000, BillingLedger1732700000000];
