import type { IHeaders } from 'kafkajs';

/** Header names; the dead-letter ones mirror Spring Kafka / NestJS `kafka_dlt-*`. */
export const H = {
  messageId: 'message-id',
  messageType: 'message-type',
  correlationId: 'correlation-id',
  replyTopic: 'reply-topic',
  deadline: 'deadline',
  dltOriginalTopic: 'kafka_dlt-original-topic',
  dltOriginalPartition: 'kafka_dlt-original-partition',
  dltOriginalOffset: 'kafka_dlt-original-offset',
  dltOriginalTimestamp: 'kafka_dlt-original-timestamp',
  dltOriginalGroup: 'kafka_dlt-original-consumer-group',
  dltExceptionFqcn: 'kafka_dlt-exception-fqcn',
  dltExceptionMessage: 'kafka_dlt-exception-message',
  dltAttempts: 'kafka_dlt-attempts',
} as const;

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}
