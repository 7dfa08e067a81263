import { Module } from '@nestjs/common';
import { CatalogueSetupHandler } from './catalogue.handler';
import { CatalogueRepository } from './catalogue.repository';
import { CatalogueService } from './catalogue.service';

@Module({
  providers: [CatalogueRepository, CatalogueService, CatalogueSetupHandler],
  exports: [CatalogueRepository, CatalogueService],
})
export class CatalogueModule {}
