import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { Actor, CurrentActor } from '../audit/actor';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import { DescribeHeaders, DescribeQuery } from '../openapi/describe';
import { RateLimit } from '../rate-limit';
import { AppointmentsService } from './appointments.service';
import {
  CancelAppointmentDto,
  CreateAppointmentDto,
  MoveAppointmentDto,
  RecordOutcomeDto,
  cancelAppointmentSchema,
  createAppointmentSchema,
  idempotencyKeyHeader,
  listAppointmentsQuery,
  moveAppointmentSchema,
  recordOutcomeSchema,
} from './dto';

/**
 * A company's appointments for its own staff. The AuthGuard answers 404 to another company's token before anything
 * here runs; booking answers only within the path's company. Routes that make or change appointments count
 * against the booking rate limit (30/min per company).
 */
@Controller('api/v1/companies/:companyId/appointments')
export class AppointmentsController {
  constructor(private readonly service: AppointmentsService) {}

  /** Start order; `next` is the `cursor` of the following page (null on the last). */
  @Get()
  @RequireAbility('appointments.read')
  @DescribeQuery(listAppointmentsQuery)
  async list(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(listAppointmentsQuery, query, 'query');
    return this.service.list((await this.service.company(principal, companyId)).id, q);
  }

  @Get(':appointmentId')
  @RequireAbility('appointments.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('appointmentId') appointmentId: string) {
    return this.service.get((await this.service.company(principal, companyId)).id, appointmentId);
  }

  /** Requires `Idempotency-Key`: a retry with the same key answers the same appointment (`replayed: true`). */
  @Post()
  @RequireAbility('appointments.manage')
  @RateLimit('booking')
  @DescribeHeaders({ name: 'Idempotency-Key', required: true, description: 'Your id for this booking (8–150 printable characters): a retry with it answers the same appointment' })
  async create(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Body(new ZodBody(createAppointmentSchema)) dto: CreateAppointmentDto,
  ) {
    const company = await this.service.company(actor.principal, companyId);
    const { 'Idempotency-Key': idempotencyKey } = parseOrBadRequest(idempotencyHeaders, { 'Idempotency-Key': key }, 'Idempotency-Key');
    return this.service.create(actor, company, dto, idempotencyKey);
  }

  @Post(':appointmentId/cancel')
  @HttpCode(200)
  @RequireAbility('appointments.manage')
  @RateLimit('booking')
  async cancel(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('appointmentId') appointmentId: string, @Body(new ZodBody(cancelAppointmentSchema)) dto: CancelAppointmentDto) {
    return this.service.cancel(actor, (await this.service.company(actor.principal, companyId)).id, appointmentId, dto);
  }

  /** `Idempotency-Key` optional: with it, a retried move is answered from the first. */
  @Post(':appointmentId/move')
  @HttpCode(200)
  @RequireAbility('appointments.manage')
  @RateLimit('booking')
  @DescribeHeaders({ name: 'Idempotency-Key', required: false, description: 'With it, a retried move is answered from the first' })
  async move(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('appointmentId') appointmentId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Body(new ZodBody(moveAppointmentSchema)) dto: MoveAppointmentDto,
  ) {
    const company = await this.service.company(actor.principal, companyId);
    const idempotencyKey = key === undefined ? undefined : parseOrBadRequest(idempotencyHeaders, { 'Idempotency-Key': key }, 'Idempotency-Key')['Idempotency-Key'];
    return this.service.move(actor, company.id, appointmentId, dto, idempotencyKey);
  }

  /** After the start: the customer came (`completed`) or did not (`no_show`); a correction is allowed. */
  @Post(':appointmentId/outcome')
  @HttpCode(200)
  @RequireAbility('appointments.manage')
  @RateLimit('booking')
  async outcome(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('appointmentId') appointmentId: string, @Body(new ZodBody(recordOutcomeSchema)) dto: RecordOutcomeDto) {
    return this.service.recordOutcome(actor, (await this.service.company(actor.principal, companyId)).id, appointmentId, dto);
  }
}

const idempotencyHeaders = z.strictObject({ 'Idempotency-Key': idempotencyKeyHeader });
