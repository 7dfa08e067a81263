import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, Topics, callCompletedSchema } from '@receptionist/contracts';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { CatalogueService } from '../catalogue/catalogue.service';
import { BookingFailure } from '../common/booking-failure';
import { CompanyFilter } from '../common/company-filter';
import { MINUTE_MS, formatInZone } from '../common/zoned-time';
import { AvailabilityService } from './availability.service';
import { SlotHolds } from './slot-holds';

/**
 * `slot.hold` / `slot.release` (the seed's reserve_slot and release_slot_reservation): a call holds a free start
 * while the caller decides; the call's end (`call.completed`) releases whatever it still holds.
 */
@Injectable()
export class SlotHoldDesk {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly availability: AvailabilityService,
    private readonly holds: SlotHolds,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async hold(req: { companyId: string; callId: string; serviceId: string; staffId: string | null; start: string }) {
    const ctx = await this.catalogue.requireBookable(req.companyId, req.serviceId, req.staffId);
    const startMs = Date.parse(req.start);
    const endMs = startMs + ctx.service.durationMinutes * MINUTE_MS;
    const taken = async (why: string) =>
      new BookingFailure('slot_taken', `start: ${why}`, { alternatives: await this.availability.alternatives(ctx, startMs) });
    // Free for this call (its own holds do not count): opening hours, notice, our bookings, Cal.com, other holds.
    if (!(await this.availability.isFree(ctx, startMs, { callId: req.callId }))) throw await taken('not free');
    const held = await this.holds.hold(req.companyId, ctx.service.calcomEventTypeId, req.callId, startMs, endMs);
    if (!held.held) throw await taken('held by another call');
    return {
      held: true,
      serviceId: ctx.service.id,
      serviceName: ctx.service.name,
      start: formatInZone(startMs, ctx.company.timeZone),
      expiresAt: new Date(held.expiresAtMs).toISOString(),
    };
  }

  async release(req: { companyId: string; callId: string; start?: string }) {
    const released = await this.holds.release(req.companyId, req.callId, req.start ? Date.parse(req.start) : undefined);
    return { released };
  }

  /** The call is over: nothing it held stays held for the rest of the five minutes. */
  @OnEvent(Topics.callCompleted.name)
  async onCallCompleted(envelope: Envelope<z.output<typeof callCompletedSchema>>): Promise<void> {
    const companyId = envelope.companyId;
    if (!companyId || !this.companies.serves(companyId)) return;
    const released = await this.holds.release(companyId, envelope.data.callId);
    if (released) this.logger.info({ companyId, callId: envelope.data.callId, released }, 'slot holds released at call end');
  }
}
