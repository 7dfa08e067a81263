import { Controller, Get, Param, Query } from '@nestjs/common';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { AppointmentsClient } from './appointments.client';
import { AppointmentsService } from './appointments.service';
import { freeTimesQuery } from './dto';

interface CatalogueView {
  timeZone?: string;
  openingHours?: unknown;
  services?: { serviceId: string; name: string; durationMinutes: number; priceMinor: number | null; staffIds?: string[] }[];
  staff?: { staffId: string; name: string }[];
}

/**
 * What a receptionist needs to book for a customer: the company's bookable services and staff, and a service's free
 * start times — read from booking as the voice agent reads them (`catalogue.get`, `availability.get`).
 */
@Controller('api/v1/companies/:companyId')
export class CatalogueController {
  constructor(
    private readonly appointments: AppointmentsService,
    private readonly booking: AppointmentsClient,
  ) {}

  /** Active services (with the staff who do them), active staff, time zone and opening hours. */
  @Get('catalogue')
  @RequireAbility('appointments.read')
  async catalogue(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    const company = await this.appointments.company(principal, companyId);
    const reply = await this.booking.ask({ operation: 'catalogue.get', companyId: company.id, callId: null });
    const c = (reply.catalogue ?? {}) as CatalogueView;
    return {
      timeZone: c.timeZone ?? null,
      openingHours: c.openingHours ?? null,
      services: (c.services ?? []).map((s) => ({ serviceId: s.serviceId, name: s.name, durationMinutes: s.durationMinutes, priceMinor: s.priceMinor ?? null, staffIds: s.staffIds ?? [] })),
      staff: (c.staff ?? []).map((s) => ({ staffId: s.staffId, name: s.name })),
    };
  }

  /** `?serviceId&staffId&from&to` (≤ 14 days): the free starts booking would accept. */
  @Get('free-times')
  @RequireAbility('appointments.read')
  @DescribeQuery(freeTimesQuery)
  async freeTimes(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(freeTimesQuery, query, 'query');
    const company = await this.appointments.company(principal, companyId);
    const reply = await this.booking.ask({ operation: 'availability.get', companyId: company.id, callId: null, serviceId: q.serviceId, staffId: q.staffId, from: q.from.toISOString(), to: q.to.toISOString() });
    return { serviceId: q.serviceId, staffId: q.staffId, timeZone: reply.timeZone ?? null, durationMinutes: reply.durationMinutes ?? null, starts: reply.slots ?? [] };
  }
}
