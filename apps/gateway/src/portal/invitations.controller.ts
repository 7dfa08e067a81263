import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { RequireAbility } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { RateLimit } from '../rate-limit';
import { CreateInvitationDto, createInvitationSchema } from './dto';
import { InvitationsService } from './invitations.service';

/** A company's portal invitations and accounts (admin API; company admin and staff hold `portal.manage`). */
@Controller('api/v1/companies/:companyId')
export class PortalInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  /** Invites a customer by phone and/or e-mail; the answer holds the token and link once (201). */
  @Post('portal-invitations')
  @RateLimit('sensitive')
  @RequireAbility('portal.manage')
  create(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createInvitationSchema)) dto: CreateInvitationDto) {
    return this.invitations.create(actor, companyId, dto);
  }

  @Get('portal-invitations')
  @RequireAbility('portal.manage')
  async list(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: await this.invitations.list(actor, companyId) };
  }

  @Get('portal-invitations/:invitationId')
  @RequireAbility('portal.manage')
  get(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('invitationId') invitationId: string) {
    return this.invitations.get(actor, companyId, invitationId);
  }

  /** The link stops working (a used invitation: 409, disable the account instead). */
  @Delete('portal-invitations/:invitationId')
  @HttpCode(204)
  @RequireAbility('portal.manage')
  async revoke(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('invitationId') invitationId: string) {
    await this.invitations.revoke(actor, companyId, invitationId);
  }

  @Get('portal-customers')
  @RequireAbility('portal.manage')
  async customers(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: await this.invitations.listCustomers(actor, companyId) };
  }

  /** Disables a portal account and signs it out everywhere (204). */
  @Delete('portal-customers/:portalCustomerId')
  @HttpCode(204)
  @RequireAbility('portal.manage')
  async disable(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('portalCustomerId') portalCustomerId: string) {
    await this.invitations.disableCustomer(actor, companyId, portalCustomerId);
  }
}
