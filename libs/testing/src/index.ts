export * from './env';
export * from './helpers';
export * from './service-app';
export * from './private-infra';
