/** Creates every topic of the catalogue (and its .dlq) that does not exist yet. Idempotent. */
import pino from 'pino';
import { createKafka, ensureTopics } from '@receptionist/messaging';

async function main() {
  const logger = pino({ level: 'warn' });
  const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','), clientId: 'ensure-topics', logger });
  const created = await ensureTopics(kafka);
  process.stdout.write(`[topics] ${created.length ? `created ${created.length}: ${created.join(', ')}` : 'all present'}\n`);
}

main().catch((error) => {
  process.stderr.write(`[topics] failed: ${error.message}\n`);
  process.exit(1);
});
