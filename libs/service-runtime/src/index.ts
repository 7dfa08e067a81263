export * from './tokens';
export * from './decorators';
export * from './public.decorator';
export * from './bootstrap';
export * from './service-runtime.module';
export * from './messaging.runtime';
export * from './health.controller';
export * from './migrate';
