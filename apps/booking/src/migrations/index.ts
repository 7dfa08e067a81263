import { MessagingTables1732400000000 } from '@receptionist/messaging';
import { Catalogue1732600000000 } from './1732600000000-catalogue';
import { Appointments1732600100000 } from './1732600100000-appointments';
import { Policies1732810000000 } from './1732810000000-policies';
import { CallbackHandling1733300000000 } from './1733300000000-callback-handling';
import { StaffAndCompositeServices1733300100000 } from './1733300100000-staff-and-composite-services';
import { SelfServiceAppointments1733600000000 } from './1733600000000-self-service-appointments';
import { CustomerSearch1733600100000 } from './1733600100000-customer-search';

/** booking's migrations, in order. Never schema sync. */
export const migrations = [MessagingTables1732400000000, Catalogue1732600000000, Appointments1732600100000, Policies1732810000000, CallbackHandling1733300000000, StaffAndCompositeServices1733300100000, SelfServiceAppointments1733600000000, CustomerSearch1733600100000];
