import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { CallDrafts1733100000000 } from './1733100000000-call-drafts';
import { CallRecords1733200000000 } from './1733200000000-call-records';
import { RecordingRefused1733300000000 } from './1733300000000-recording-refused';
import { Privacy1734400000000 } from './1734400000000-privacy';

/** voice-agent's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, MessagingRetention1734200000000, CallDrafts1733100000000, CallRecords1733200000000, RecordingRefused1733300000000, Privacy1734400000000];
