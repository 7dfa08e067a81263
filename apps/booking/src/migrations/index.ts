import { ClosuresHolidaysWorkingHours1734420000000 } from './1734420000000-closures-holidays-working-hours';
import { MessagingRetention1734200000000, MessagingTables1732400000000 } from '@receptionist/messaging';
import { Catalogue1732600000000 } from './1732600000000-catalogue';
import { Appointments1732600100000 } from './1732600100000-appointments';
import { Policies1732810000000 } from './1732810000000-policies';
import { CallbackHandling1733300000000 } from './1733300000000-callback-handling';
import { StaffAndCompositeServices1733300100000 } from './1733300100000-staff-and-composite-services';
import { AppointmentVersion1733513000000 } from './1733513000000-appointment-version';
import { CallbackWishId1733513100000 } from './1733513100000-callback-wish-id';
import { PendingCalcomCreates1733700000000 } from './1733700000000-pending-calcom-creates';
import { SelfServiceAppointments1734300000000 } from './1734300000000-self-service-appointments';
import { CustomerSearch1734300100000 } from './1734300100000-customer-search';

/** booking's migrations, in order. Never schema sync. */
export const migrations = [
  MessagingTables1732400000000,
  MessagingRetention1734200000000,
  Catalogue1732600000000,
  Appointments1732600100000,
  Policies1732810000000,
  CallbackHandling1733300000000,
  StaffAndCompositeServices1733300100000,
  AppointmentVersion1733513000000,
  CallbackWishId1733513100000,
  PendingCalcomCreates1733700000000,
  SelfServiceAppointments1734300000000,
  CustomerSearch1734300100000,
  ClosuresHolidaysWorkingHours1734420000000,
];
