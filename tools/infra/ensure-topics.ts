/** Creates every topic of the catalogue (and its .dlq) that does not exist yet. Idempotent. */
import pino from 'pino';
import { kafkaEnvSchema, kafkaSecurityFrom, loadConfigOrExit } from '@receptionist/config';
import { createKafka, ensureTopics } from '@receptionist/messaging';

async function main() {
  const logger = pino({ level: 'warn' });
  // The services' Kafka settings (brokers, SASL, TLS), validated the same way; the local broker by default.
  const config = loadConfigOrExit(kafkaEnvSchema, { KAFKA_BROKERS: '127.0.0.1:19092', ...process.env });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ensure-topics', logger, security: kafkaSecurityFrom(config) });
  const created = await ensureTopics(kafka);
  process.stdout.write(`[topics] ${created.length ? `created ${created.length}: ${created.join(', ')}` : 'all present'}\n`);
}

main().catch((error) => {
  process.stderr.write(`[topics] failed: ${error.message}\n`);
  process.exit(1);
});
