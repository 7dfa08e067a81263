import { Global, Module } from '@nestjs/common';
import { CompanyFilter } from './company-filter';

@Global()
@Module({ providers: [CompanyFilter], exports: [CompanyFilter] })
export class BookingCommonModule {}
