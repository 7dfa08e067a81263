import { Module } from '@nestjs/common';
import { CallbackPromisesHandler } from './callback-promises.handler';
import { CallbacksService } from './callbacks.service';

@Module({ providers: [CallbacksService, CallbackPromisesHandler], exports: [CallbacksService] })
export class CallbacksModule {}
