import { Injectable } from '@nestjs/common';
import { Envelope, TopicData, Topics } from '@receptionist/contracts';
import { OnEvent } from '@receptionist/service-runtime';
import { AppointmentsRepository } from '../appointments/appointments.repository';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { CompanyFilter } from '../common/company-filter';
import { AvailabilityService } from './availability.service';

/**
 * A booking changed in Cal.com (webhook, forwarded by the gateway): drop the cached slots of every company
 * using that calendar. Invalidating twice is harmless, so no inbox record is kept.
 */
@Injectable()
export class CalcomChangesHandler {
  constructor(
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsRepository,
    private readonly catalogue: CatalogueRepository,
    private readonly companies: CompanyFilter,
  ) {}

  @OnEvent(Topics.calcomBookingChanged.name)
  async onChanged(envelope: Envelope<TopicData<'calcomBookingChanged'>>): Promise<void> {
    const targets = new Map<string, { companyId: string; eventTypeId: number }>();
    const add = (companyId: string, eventTypeId: number) => {
      if ((!envelope.companyId || envelope.companyId === companyId) && this.companies.serves(companyId)) {
        targets.set(`${companyId}:${eventTypeId}`, { companyId, eventTypeId });
      }
    };
    const ours = await this.appointments.findByCalcomUid(envelope.data.calcomBookingUid);
    if (ours) add(ours.companyId, ours.calcomEventTypeId);
    const eventTypeId = Number(envelope.data.payload.eventTypeId);
    if (Number.isInteger(eventTypeId) && eventTypeId > 0) {
      for (const s of await this.catalogue.findServicesByEventType(eventTypeId)) add(s.companyId, eventTypeId);
    }
    for (const t of targets.values()) await this.availability.invalidate(t.companyId, t.eventTypeId);
  }
}
