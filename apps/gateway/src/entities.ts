import { AuditLogEntity } from './audit/audit-log.entity';
import { BranchEntity, CompanyEntity, PhoneNumberEntity, RetellAgentEntity } from './companies/entities';
import { AccessTokenEntity, RolePermissionEntity, UserEntity } from './identity/entities';
import { PortalCustomerEntity, PortalInvitationEntity, PortalTokenEntity } from './portal/entities';
import { CompanyRoleEntity, PasswordResetEntity, UserInvitationEntity } from './team/entities';

/** Every TypeORM entity of the gateway's own database. */
export const gatewayEntities = [
  CompanyEntity,
  BranchEntity,
  PhoneNumberEntity,
  RetellAgentEntity,
  UserEntity,
  AccessTokenEntity,
  RolePermissionEntity,
  AuditLogEntity,
  PortalInvitationEntity,
  PortalCustomerEntity,
  PortalTokenEntity,
  CompanyRoleEntity,
  UserInvitationEntity,
  PasswordResetEntity,
];
