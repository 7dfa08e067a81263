import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public, RequireAbility, requestMeta } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { RateLimit } from '../rate-limit';
import {
  AcceptInvitationDto,
  acceptInvitationSchema,
  ConfirmPasswordResetDto,
  confirmPasswordResetSchema,
  CreateTeamInvitationDto,
  createTeamInvitationSchema,
  PASSWORD_RESET_TOKEN_RE,
  RequestPasswordResetDto,
  requestPasswordResetSchema,
  TEAM_INVITATION_TOKEN_RE,
} from './dto';
import { PasswordResetService } from './password-reset.service';
import { TeamInvitationsService } from './team-invitations.service';

/** The account a one-time link belongs to (its row id), so guessing secrets from many addresses does not help. */
const linkAccount = (re: RegExp, kind: string) => (request: FastifyRequest) => {
  const token = (request.body as { token?: unknown } | undefined)?.token;
  const match = typeof token === 'string' ? re.exec(token.trim()) : null;
  return match ? `${kind}:${match[1]}` : undefined;
};

/** Inviting team members (company admin API): the link goes out by e-mail or SMS, never in this answer. */
@Controller('api/v1/companies/:companyId/invitations')
export class TeamInvitationsController {
  constructor(private readonly invitations: TeamInvitationsService) {}

  /** 201 with the invitation; the notification service delivers the link (`channel`: email or sms). */
  @Post()
  @RateLimit('sensitive')
  @RequireAbility('users.manage')
  create(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createTeamInvitationSchema)) dto: CreateTeamInvitationDto) {
    return this.invitations.create(actor, companyId, dto);
  }

  @Get()
  @RequireAbility('users.read')
  async list(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: await this.invitations.list(actor, companyId), next: null };
  }

  @Get(':teamInvitationId')
  @RequireAbility('users.read')
  get(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('teamInvitationId') invitationId: string) {
    return this.invitations.get(actor, companyId, invitationId);
  }

  /** The link stops working (204); an accepted invitation answers 409. */
  @Delete(':teamInvitationId')
  @HttpCode(204)
  @RequireAbility('users.manage')
  async revoke(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('teamInvitationId') invitationId: string) {
    await this.invitations.revoke(actor, companyId, invitationId);
  }
}

/** What a team member does with a one-time link, without a token: accept an invitation, reset a password. */
@Public()
@Controller('api/v1')
export class TeamLinksController {
  constructor(
    private readonly invitations: TeamInvitationsService,
    private readonly resets: PasswordResetService,
  ) {}

  /** Sets the password and creates the user (201). Unknown token 404, used 409, revoked or expired 410. */
  @Post('team/invitations/accept')
  @RateLimit('sensitive', { account: linkAccount(TEAM_INVITATION_TOKEN_RE, 'team-invitation') })
  accept(@Body(new ZodBody(acceptInvitationSchema)) dto: AcceptInvitationDto, @Req() request: FastifyRequest) {
    return this.invitations.accept(dto, requestMeta(request));
  }

  /** 202 with the same answer whether or not the address has an account; the link goes to the address. */
  @Post('auth/password-reset')
  @HttpCode(202)
  @RateLimit('sensitive')
  requestReset(@Body(new ZodBody(requestPasswordResetSchema)) dto: RequestPasswordResetDto, @Req() request: FastifyRequest) {
    return this.resets.request(dto.email, requestMeta(request));
  }

  /** Sets the new password with the link's token (once); every token of the user is revoked. */
  @Post('auth/password-reset/confirm')
  @HttpCode(200)
  @RateLimit('sensitive', { account: linkAccount(PASSWORD_RESET_TOKEN_RE, 'password-reset') })
  confirmReset(@Body(new ZodBody(confirmPasswordResetSchema)) dto: ConfirmPasswordResetDto, @Req() request: FastifyRequest) {
    return this.resets.confirm(dto, requestMeta(request));
  }
}
