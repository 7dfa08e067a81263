import { Kafka, logLevel, LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSecurity } from '@receptionist/config';

/**
 * The Kafka client handle services pass around (injected as KAFKA). Only libs/messaging calls its methods, so the
 * client library can change here alone.
 */
export type KafkaClient = Kafka;

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** SASL and TLS of a secured cluster (`kafkaSecurityFrom(config)` of @receptionist/config); none: PLAINTEXT. */
  security?: KafkaSecurity;
}

// kafkajs logs coordinator hand-overs and concurrent-transaction retries at ERROR although it retries them;
// those are demoted so that an operator's error log holds only real failures.
const RETRIED_MESSAGES = [
  'coordinator is loading',
  'coordinator is not available',
  'not the correct coordinator',
  'concurrent operation on the same transaction',
  'group is rebalancing',
  'There is no leader for this topic-partition',
  'This server does not host this topic-partition',
];

export function createKafka({ brokers, clientId, logger, security }: KafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    // SASL and TLS as kafkajs takes them (KafkaSecurity has its shape); the password is never logged.
    ...security,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const text = `${message ?? ''} ${String((rest as { error?: string }).error ?? '')}`;
        const retried = RETRIED_MESSAGES.some((m) => text.includes(m));
        const fields = { namespace: rest.logger, error: (rest as { error?: string }).error };
        if (level === logLevel.ERROR && !retried) log.error(fields, message);
        else if (level <= logLevel.WARN) log.warn(fields, message);
        else log.debug(fields, message);
      },
  });
}
