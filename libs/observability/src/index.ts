export * from './logger';
export * from './metrics';
export * from './tracing';
export { startTracing, stopTracing } from './sdk';
