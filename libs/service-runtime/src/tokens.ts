export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const SERVICE_OPTIONS = Symbol('SERVICE_OPTIONS');
export const LOGGER = Symbol('LOGGER');
export const REDIS = Symbol('REDIS');
export const KAFKA = Symbol('KAFKA');
