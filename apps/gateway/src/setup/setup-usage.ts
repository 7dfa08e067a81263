import { ConflictException, HttpException, Injectable } from '@nestjs/common';
import { AppointmentsClient } from '../appointments/appointments.client';

interface Upcoming {
  appointmentId: string;
}

/**
 * Whether removing a service or staff member would strand appointments: booking is asked for the future booked
 * ones (by the id booking gave the key), and a removal with any is refused with what to do first.
 */
@Injectable()
export class SetupUsage {
  constructor(private readonly booking: AppointmentsClient) {}

  async refuseIfBooked(companyId: string, what: 'service' | 'staff', key: string): Promise<void> {
    let catalogue: { services?: { serviceId: string; key: string }[]; staff?: { staffId: string; key: string }[] };
    try {
      catalogue = ((await this.booking.ask({ operation: 'catalogue.get', companyId, callId: null })).catalogue ?? {}) as typeof catalogue;
    } catch (error) {
      // No booking set-up yet (409/404): nothing can be booked, so nothing can be stranded.
      if (error instanceof HttpException && [404, 409].includes(error.getStatus())) return;
      throw error;
    }
    const id = what === 'service' ? catalogue.services?.find((s) => s.key === key)?.serviceId : catalogue.staff?.find((s) => s.key === key)?.staffId;
    if (!id) return; // inactive or never applied: booking offers it to nobody
    const page = await this.booking.ask({
      operation: 'appointments.search',
      companyId,
      callId: null,
      from: new Date().toISOString(),
      status: ['booked'],
      limit: 5,
      ...(what === 'service' ? { serviceId: id } : { staffId: id }),
    });
    const upcoming = (page.appointments ?? []) as Upcoming[];
    if (!upcoming.length) return;
    const more = page.next ? ' (and more)' : '';
    throw new ConflictException({
      statusCode: 409,
      error: 'Conflict',
      message: `${what === 'service' ? 'serviceKey' : 'staffKey'}: has ${upcoming.length}${more} future appointment(s): cancel or move them first (POST …/appointments/{id}/cancel or /move), or set active: false to stop new bookings and keep them`,
      field: what === 'service' ? 'serviceKey' : 'staffKey',
      code: 'has_future_appointments',
      appointmentIds: upcoming.map((a) => a.appointmentId),
    });
  }
}
