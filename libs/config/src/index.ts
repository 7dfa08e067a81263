export * from './config';
export * from './production';
export * from './secret-box';
