import { Global, Module } from '@nestjs/common';
import { CompaniesRepository } from '../companies/companies.repository';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The audit log: written by the other feature modules (AuditService is global), read per company. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, CompaniesRepository],
  exports: [AuditService],
})
export class AuditModule {}
