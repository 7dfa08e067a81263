export * from './exception.filter';
export * from './hardening';
