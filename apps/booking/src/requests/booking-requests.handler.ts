import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { BookingReply, Envelope, Topics, bookingRequestSchema } from '@receptionist/contracts';
import { NO_REPLY } from '@receptionist/messaging';
import { LOGGER, OnRequest } from '@receptionist/service-runtime';
import { AppointmentsService } from '../appointments/appointments.service';
import { BusinessAppointmentsService } from '../appointments/business-appointments.service';
import { bookingOperationDuration, bookingsTotal, cancellationsTotal } from '../availability/availability.metrics';
import { AvailabilityService } from '../availability/availability.service';
import { SlotHoldDesk } from '../availability/slot-hold-desk';
import { CallbacksService } from '../callbacks/callbacks.service';
import { CatalogueService } from '../catalogue/catalogue.service';
import { BookingFailure } from '../common/booking-failure';
import { CompanyFilter } from '../common/company-filter';
import { CustomersService, customerView } from '../customers/customers.service';
import { CustomerDirectoryService } from '../customers/customer-directory.service';

type Parsed = z.output<typeof bookingRequestSchema>;

/** Reads stop this long before the requester's deadline, so the answer still arrives in time. */
const DEADLINE_MARGIN_MS = 150;

/**
 * The one responder of `booking.request`: validates, dispatches by operation and always answers a
 * BookingReply. Expected refusals are `ok:false` with a code; anything unexpected is logged and answered
 * `ok:false` without internals, so the caller never gets an exception for a business outcome.
 */
@Injectable()
export class BookingRequestsHandler {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly customers: CustomersService,
    private readonly availability: AvailabilityService,
    private readonly holds: SlotHoldDesk,
    private readonly appointments: AppointmentsService,
    private readonly business: BusinessAppointmentsService,
    private readonly directory: CustomerDirectoryService,
    private readonly callbacks: CallbacksService,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.bookingRequest.name)
  async onRequest(envelope: Envelope, deadline?: number): Promise<BookingReply | typeof NO_REPLY> {
    const started = process.hrtime.bigint();
    // Another instance's company before anything else: an instance that does not know an operation yet (an older
    // version beside a newer one) must not answer it for a company it does not serve. The serving instance answers.
    if (envelope.companyId && !this.companies.serves(envelope.companyId)) return NO_REPLY;
    const parsed = bookingRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const request = parsed.data;
    if (!this.companies.serves(request.companyId)) return NO_REPLY;
    const reply = await this.handle(envelope, request, deadline);
    const outcome = reply.ok ? 'ok' : (reply.code ?? 'error');
    bookingOperationDuration().observe({ operation: request.operation, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    if (request.operation === 'appointment.book') bookingsTotal().inc({ outcome });
    else if (request.operation === 'appointment.cancel') cancellationsTotal().inc({ outcome });
    return reply;
  }

  private async handle(envelope: Envelope, request: Parsed, deadline?: number): Promise<BookingReply> {
    // The gateway sets the envelope's company from the authenticated call; a body naming another company is refused.
    if (envelope.companyId && envelope.companyId !== request.companyId) {
      return { ok: false, code: 'invalid_request', detail: 'companyId: does not match the envelope' };
    }
    const signal = deadline ? AbortSignal.timeout(Math.max(1, deadline - Date.now() - DEADLINE_MARGIN_MS)) : undefined;
    try {
      return { ok: true, data: await this.dispatch(request, signal, deadline) };
    } catch (error) {
      if (error instanceof BookingFailure) {
        return { ok: false, code: error.code, detail: error.detail, ...(error.data ? { data: error.data } : {}) };
      }
      this.logger.error({ err: error, operation: request.operation, companyId: request.companyId }, 'booking request failed unexpectedly');
      return { ok: false, detail: 'internal error' };
    }
  }

  private async dispatch(request: Parsed, signal?: AbortSignal, deadline?: number): Promise<Record<string, unknown>> {
    switch (request.operation) {
      case 'catalogue.get':
        return { catalogue: await this.catalogue.get(request.companyId) };
      case 'customer.lookup': {
        const customer = await this.customers.find(request.companyId, { phone: request.phone });
        return {
          customer: customer ? customerView(customer) : null,
          appointments: customer ? await this.appointments.listFor(request.companyId, customer.id) : [],
        };
      }
      case 'availability.get': {
        const ctx = await this.catalogue.requireBookable(request.companyId, request.serviceId, request.staffId);
        return this.availability.get(ctx, request.from, request.to, signal, request.callId);
      }
      case 'slot.hold':
        return this.holds.hold(request);
      case 'slot.release':
        return this.holds.release(request);
      case 'appointment.book':
        return this.appointments.book(request, signal, deadline ? deadline - DEADLINE_MARGIN_MS : undefined);
      case 'appointment.list':
        return this.appointments.list(request);
      case 'appointment.cancel':
        return this.appointments.cancel(request);
      case 'appointment.reschedule':
        return this.appointments.reschedule(request, signal);
      case 'appointments.search':
        return this.business.search(request);
      case 'appointment.get':
        return this.business.get(request.companyId, request.appointmentId);
      case 'appointment.record-outcome':
        return this.business.recordOutcome(request);
      case 'customers.search':
        return this.directory.search(request);
      case 'customer.get':
        return this.directory.get(request.companyId, request.customerId);
      case 'customer.update':
        return this.directory.update(request);
      case 'customers.merge':
        return this.directory.merge(request);
      case 'callback.request':
        return this.callbacks.request(request);
      case 'callbacks.list':
        return this.callbacks.list(request);
      case 'callback.get':
        return this.callbacks.get(request.companyId, request.callbackRequestId);
      case 'callback.update':
        return this.callbacks.update(request);
    }
  }
}
