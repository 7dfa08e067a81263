import { MessagingTables1732400000000 } from '@receptionist/messaging';

/** billing's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000];
