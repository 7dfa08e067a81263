export * from './calcom.client';
export * from './calcom.errors';
export * from './calcom.module';
export * from './calcom.options';
export * from './calcom.schemas';
export * from './calendar-provider';
