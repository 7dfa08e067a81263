export * from './env';
export * from './helpers';
