import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { CalendarClient } from './calendar.client';
import { CalendarController } from './calendar.controller';

/** Admin API for a company's calendar connection (booking owns it) and reconciliation runs (sync owns them). */
@Module({ imports: [CompaniesModule, AuditModule], controllers: [CalendarController], providers: [CalendarClient] })
export class CalendarModule {}
