export * from './simulator';
export * from './registry';
export * from './providers/calcom';
export * from './providers/rates';
export * from './providers/translate';
export * from './providers/retell';
export * from './providers/stripe';
export * from './providers/twilio';
