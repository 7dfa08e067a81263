import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { NotificationSettings1732650000000 } from './1732650000000-notification-settings';
import { NotificationMessages1732700000000 } from './1732700000000-messages';
import { NotificationAlerts1732800000000 } from './1732800000000-alerts';
import { NotificationAppointmentState1733513000000 } from './1733513000000-appointment-state';
import { NotificationInboundKeywords1733513100000 } from './1733513100000-inbound-keywords';
import { NotificationTeamMessages1734300000000 } from './1734300000000-team-messages';
import { NotificationEmailMessages1735600000000 } from './1735600000000-email-messages';

/** notification's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, MessagingRetention1734200000000, NotificationSettings1732650000000, NotificationMessages1732700000000, NotificationAlerts1732800000000, NotificationAppointmentState1733513000000, NotificationInboundKeywords1733513100000, NotificationTeamMessages1734300000000, NotificationEmailMessages1735600000000];
