import { Body, ConflictException, Controller, Delete, Get, Headers, HttpCode, NotFoundException, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor } from '../audit/actor';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import type { ImportDocument, ServiceDoc, StaffDoc } from '../onboarding/import-document';
import { serviceSchema, staffSchema } from '../onboarding/import-document';
import { DescribeHeaders, DescribeQuery } from '../openapi/describe';
import { isSetupKey, putServiceSchema, putStaffSchema, setupListQuery } from './dto';
import { etagOf, SetupEditService } from './setup-edit.service';
import { SetupUsage } from './setup-usage';
import { IF_MATCH, page, relocate } from './setup-views';
import type { z } from 'zod';

type Kind = 'services' | 'staff';
const single = { services: 'service', staff: 'staff' } as const;

/**
 * The company's services and staff, edited by its admin (`services.manage`) through the set-up document: every
 * change is validated as a whole and sent to booking as the import sends it (docs/onboarding.md). Each resource
 * carries an `ETag`; changing or removing one needs `If-Match` with it. Keys (`haircut-women`) name them.
 */
@Controller('api/v1/companies/:companyId')
export class CatalogueSetupController {
  constructor(
    private readonly setup: SetupEditService,
    private readonly usage: SetupUsage,
  ) {}

  /** Services in set-up order, each with its `etag`. */
  @Get('services')
  @RequireAbility('companies.read')
  @DescribeQuery(setupListQuery)
  async listServices(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(setupListQuery, query, 'query');
    const { doc } = await this.setup.read(principal, companyId);
    return page(doc.services, q, (s) => s.key);
  }

  @Get('services/:serviceKey')
  @RequireAbility('companies.read')
  async getService(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('serviceKey') key: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.one(principal, companyId, 'services', key, reply);
  }

  /** A new service (its key must be new: 409 otherwise). No `If-Match`: there is nothing to be stale against. */
  @Post('services')
  @RequireAbility('services.manage')
  async createService(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(serviceSchema)) dto: ServiceDoc, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.create(actor, companyId, 'services', dto, reply);
  }

  /** Replaces the service (all fields; left-out ones take their defaults). */
  @Put('services/:serviceKey')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  async putService(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('serviceKey') key: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodBody(putServiceSchema)) dto: z.output<typeof putServiceSchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.replace(actor, companyId, 'services', key, { ...dto, key }, ifMatch, reply);
  }

  /**
   * Removes the service from the set-up (booking keeps it inactive for the appointments that name it) and from its
   * staff's lists. 409 while it has future appointments or a composite service uses it as a step.
   */
  @Delete('services/:serviceKey')
  @HttpCode(204)
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  async deleteService(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('serviceKey') key: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.remove(actor, companyId, 'services', key, ifMatch);
  }

  @Get('staff')
  @RequireAbility('companies.read')
  @DescribeQuery(setupListQuery)
  async listStaff(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(setupListQuery, query, 'query');
    const { doc } = await this.setup.read(principal, companyId);
    return page(doc.staff, q, (s) => s.key);
  }

  @Get('staff/:staffKey')
  @RequireAbility('companies.read')
  async getStaff(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('staffKey') key: string, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.one(principal, companyId, 'staff', key, reply);
  }

  @Post('staff')
  @RequireAbility('services.manage')
  async createStaff(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(staffSchema)) dto: StaffDoc, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.create(actor, companyId, 'staff', dto, reply);
  }

  @Put('staff/:staffKey')
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  async putStaff(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('staffKey') key: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body(new ZodBody(putStaffSchema)) dto: z.output<typeof putStaffSchema>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.replace(actor, companyId, 'staff', key, { ...dto, key }, ifMatch, reply);
  }

  /** 409 while the person has future appointments or is named in a composite service's step. */
  @Delete('staff/:staffKey')
  @HttpCode(204)
  @RequireAbility('services.manage')
  @DescribeHeaders(IF_MATCH)
  async deleteStaff(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('staffKey') key: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.remove(actor, companyId, 'staff', key, ifMatch);
  }

  private async one(principal: Principal, companyId: string, kind: Kind, key: string, reply: FastifyReply) {
    const { doc } = await this.setup.read(principal, companyId);
    const item = isSetupKey(key) ? (doc[kind] as { key: string }[]).find((x) => x.key === key) : undefined;
    if (!item) throw notFound(kind);
    reply.header('etag', etagOf(item));
    return item;
  }

  private async create(actor: Actor, companyId: string, kind: Kind, dto: ServiceDoc | StaffDoc, reply: FastifyReply) {
    const list = (doc: ImportDocument) => doc[kind] as { key: string }[];
    const { body, etag } = await this.setup.change(
      actor,
      companyId,
      {
        current: () => null,
        apply: (doc) => {
          if (list(doc).some((x) => x.key === dto.key)) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `key: the company already has a ${single[kind]} '${dto.key}'`, field: 'key' });
          list(doc).push(dto);
        },
        ifMatch: undefined,
        required: false,
        field: relocate(kind, (doc) => list(doc).length - 1),
        audit: { action: `setup.${single[kind]}.created`, targetType: single[kind], targetId: dto.key },
      },
      (doc) => list(doc).find((x) => x.key === dto.key),
    );
    reply.status(201).header('etag', etag);
    return body;
  }

  private async replace(actor: Actor, companyId: string, kind: Kind, key: string, dto: ServiceDoc | StaffDoc, ifMatch: string | undefined, reply: FastifyReply) {
    if (!isSetupKey(key)) throw notFound(kind);
    const list = (doc: ImportDocument) => doc[kind] as { key: string }[];
    const { body, etag } = await this.setup.change(
      actor,
      companyId,
      {
        current: (doc) => list(doc).find((x) => x.key === key),
        apply: (doc) => {
          const i = list(doc).findIndex((x) => x.key === key);
          list(doc)[i] = dto;
        },
        ifMatch,
        required: true,
        field: relocate(kind, (doc) => list(doc).findIndex((x) => x.key === key)),
        audit: { action: `setup.${single[kind]}.changed`, targetType: single[kind], targetId: key },
      },
      (doc) => list(doc).find((x) => x.key === key),
    );
    reply.header('etag', etag);
    return body;
  }

  private async remove(actor: Actor, companyId: string, kind: Kind, key: string, ifMatch: string | undefined) {
    if (!isSetupKey(key)) throw notFound(kind);
    const company = await this.setup.company(actor.principal, companyId);
    // Asked before the transaction (booking answers over Kafka); an appointment booked in between keeps its
    // service in booking (removed entries are only deactivated there), so nothing is lost.
    await this.usage.refuseIfBooked(company.id, kind === 'services' ? 'service' : 'staff', key);
    const list = (doc: ImportDocument) => doc[kind] as { key: string }[];
    await this.setup.change(
      actor,
      company.id,
      {
        current: (doc) => list(doc).find((x) => x.key === key),
        apply: (doc) => {
          const field = kind === 'services' ? 'serviceKey' : 'staffKey';
          const users = doc.services.filter((sv) => sv.steps?.some((st) => (kind === 'services' ? st.service === key : st.staff.includes(key))));
          if (users.length) {
            throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `${field}: a step of ${users.map((u) => `'${u.key}'`).join(', ')} uses it: change or remove that composite service first`, field, code: 'in_use' });
          }
          if (kind === 'services') {
            doc.services = doc.services.filter((s) => s.key !== key);
            for (const st of doc.staff) st.services = st.services.filter((k) => k !== key);
          } else doc.staff = doc.staff.filter((s) => s.key !== key);
        },
        ifMatch,
        required: true,
        audit: { action: `setup.${single[kind]}.removed`, targetType: single[kind], targetId: key },
      },
      () => null,
    );
  }
}

function notFound(kind: Kind) {
  return new NotFoundException(`${single[kind]} not found`);
}
