import { MessagingTables1732400000000 } from '@receptionist/messaging';

/** notification's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000];
