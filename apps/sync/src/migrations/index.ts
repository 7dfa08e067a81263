import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { CallbackWebhooks1733500000000 } from './1733500000000-callback-webhooks';
import { CallbackSecretRotation1733600000000 } from './1733600000000-callback-secret-rotation';
import { CalendarReconciliation1734400100000 } from './1734400100000-calendar-reconciliation';

/** sync's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, MessagingRetention1734200000000, CallbackWebhooks1733500000000, CallbackSecretRotation1733600000000, CalendarReconciliation1734400100000];
