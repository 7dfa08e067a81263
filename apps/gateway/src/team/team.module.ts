import { Module } from '@nestjs/common';
import { CompaniesModule } from '../companies/companies.module';
import { IdentityModule } from '../identity/identity.module';
import { PasswordResetService } from './password-reset.service';
import { CompanyRolesController } from './roles.controller';
import { CompanyRolesService } from './roles.service';
import { TeamInvitationsController, TeamLinksController } from './team.controller';
import { TeamInvitationsService } from './team-invitations.service';

/** Team management: custom roles, invitations delivered by the notification service, password reset links. */
@Module({
  imports: [CompaniesModule, IdentityModule],
  controllers: [CompanyRolesController, TeamInvitationsController, TeamLinksController],
  providers: [CompanyRolesService, TeamInvitationsService, PasswordResetService],
})
export class TeamModule {}
