import { Module } from '@nestjs/common';
import { EmailMessenger } from './email.messenger';

/** One pooled SMTP transport per instance, shared by every module that sends e-mail. */
@Module({ providers: [EmailMessenger], exports: [EmailMessenger] })
export class EmailModule {}
