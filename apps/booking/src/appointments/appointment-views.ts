import type { AppointmentView } from '@receptionist/contracts';
import type { ServiceEntity, StaffEntity } from '../catalogue/catalogue.entities';
import { formatInZone } from '../common/zoned-time';
import type { CustomerEntity } from '../customers/customer.entity';
import type { AppointmentEntity } from './appointment.entities';

/** The reply shape (`appointmentViewSchema`); times are instants with the company's offset, as the agent speaks them. */
export function appointmentView(a: AppointmentEntity, service: Pick<ServiceEntity, 'name'> | undefined, staff: Pick<StaffEntity, 'name'> | undefined | null): AppointmentView {
  return {
    appointmentId: a.id,
    serviceId: a.serviceId,
    serviceName: service?.name ?? '',
    staffId: a.staffId,
    staffName: staff?.name ?? null,
    startsAt: formatInZone(a.startsAt.getTime(), a.timeZone),
    endsAt: formatInZone(a.endsAt.getTime(), a.timeZone),
    status: a.status,
    calcomBookingUid: a.calcomBookingUid,
    rescheduledCount: a.rescheduledCount,
  };
}

/** Data of booking.created / rescheduled / cancelled (libs/contracts/src/messages/bookings.ts). */
export function appointmentEventData(a: AppointmentEntity, service: Pick<ServiceEntity, 'name'>, customer: CustomerEntity) {
  return {
    appointmentId: a.id,
    calcomBookingUid: a.calcomBookingUid,
    serviceId: a.serviceId,
    serviceName: service.name,
    staffId: a.staffId,
    startsAt: formatInZone(a.startsAt.getTime(), a.timeZone),
    endsAt: formatInZone(a.endsAt.getTime(), a.timeZone),
    timeZone: a.timeZone,
    customer: { customerId: customer.id, name: customer.name, phone: customer.phone, email: customer.email, language: customer.language },
    callId: a.callId,
    version: a.version ?? 1,
  };
}
