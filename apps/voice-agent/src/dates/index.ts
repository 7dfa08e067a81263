export * from './zone';
export * from './parse';
export * from './spoken';
