export * from './zone';
export * from './parse';
export * from './resolve';
export * from './spoken';
export * from './alternatives';
