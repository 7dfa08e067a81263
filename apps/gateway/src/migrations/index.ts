import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { TenantsIdentity1732500000000 } from './1732500000000-tenants-identity';
import { Onboarding1732650000000 } from './1732650000000-onboarding';
import { Portal1732760000000 } from './1732760000000-portal';
import { PricingPermission1733400000000 } from './1733400000000-pricing-permission';
import { IntegrationsPermission1733500000000 } from './1733500000000-integrations-permission';
import { RefundPermission1734100000000 } from './1734100000000-refund-permission';
import { CallAcceptance1734110000000 } from './1734110000000-call-acceptance';
import { Team1734300000000 } from './1734300000000-team';
import { PlanAcceptance1734300000000 } from './1734300000000-plan-acceptance';
import { SetupDocument1734420000000 } from './1734420000000-setup-document';
import { CustomerErasure1734430000000 } from './1734430000000-customer-erasure';

/** gateway's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, MessagingRetention1734200000000, TenantsIdentity1732500000000, Onboarding1732650000000, Portal1732760000000, PricingPermission1733400000000, IntegrationsPermission1733500000000, RefundPermission1734100000000, CallAcceptance1734110000000, Team1734300000000, PlanAcceptance1734300000000, SetupDocument1734420000000, CustomerErasure1734430000000];
