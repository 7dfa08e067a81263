export * from './rate-limit.decorator';
export * from './rate-limit.guard';
export * from './rate-limit.metrics';
export * from './rate-limit.module';
export * from './sliding-window.limiter';
export * from './failed-token.limiter';
