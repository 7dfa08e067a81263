import { kafkaEnvSchema, kafkaSecurityFrom, parseConfig } from '@receptionist/config';

const kafkaEnv = parseConfig(kafkaEnvSchema, { KAFKA_BROKERS: '127.0.0.1:19092', ...process.env });

/** Where the tests find the real infrastructure (the same variables the services use, SASL/TLS included). */
export const testInfra = {
  kafkaBrokers: kafkaEnv.KAFKA_BROKERS,
  kafkaSecurity: kafkaSecurityFrom(kafkaEnv),
  db: {
    host: process.env.DB_HOST ?? '127.0.0.1',
    port: Number(process.env.DB_PORT ?? 3306),
    username: process.env.DB_USERNAME ?? 'root',
    password: process.env.DB_PASSWORD ?? '',
  },
  redis: { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) },
};
