export * from './envelope';
export * from './topics';
export * from './messages/common';
export * from './messages/calls';
export * from './messages/bookings';
export * from './messages/billing';
export * from './messages/notifications';
export * from './messages/platform';
