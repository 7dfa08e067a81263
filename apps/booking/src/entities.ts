import { AppointmentChangeEntity, AppointmentEntity, AppointmentStepEntity } from './appointments/appointment.entities';
import { CallbackRequestEntity } from './callbacks/callback-request.entity';
import { BookingCompanyEntity, BranchHoursEntity, ServiceEntity, StaffEntity, StaffServiceEntity } from './catalogue/catalogue.entities';
import { CustomerEntity } from './customers/customer.entity';
import { PendingCreateEntity } from './appointments/pending-create.entity';
import { PolicyDecisionEntity } from './appointments/policy-decision.entity';
import { CalendarConnectionEntity } from './calcom/calendar-connection.entity';

/** Every TypeORM entity of booking's own database. */
export const bookingEntities = [
  BookingCompanyEntity,
  ServiceEntity,
  StaffEntity,
  StaffServiceEntity,
  BranchHoursEntity,
  CustomerEntity,
  AppointmentEntity,
  AppointmentChangeEntity,
  AppointmentStepEntity,
  CallbackRequestEntity,
  PolicyDecisionEntity,
  PendingCreateEntity,
  CalendarConnectionEntity,
];
