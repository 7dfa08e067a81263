/**
 * Dead letters from the command line: `npm run dlq -- list <topic>` shows what `<topic>.dlq` holds and why;
 * `npm run dlq -- replay <topic> [--id <message-id>]… [--offset <original-offset>]…` re-publishes them (all when
 * nothing is selected) to `<topic>`. Replays are safe to repeat: consumers skip what their inbox already applied.
 */
import pino from 'pino';
import { ALL_TOPICS } from '@receptionist/contracts';
import { kafkaEnvSchema, kafkaSecurityFrom, loadConfigOrExit } from '@receptionist/config';
import { DeadLetters, MessageProducer, createKafka, type DeadLetter } from '@receptionist/messaging';

const USAGE = 'usage: npm run dlq -- list <topic> | replay <topic> [--id <message-id>]... [--offset <original-offset>]...';

function fail(message: string): never {
  process.stderr.write(`[dlq] ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]) {
  const [command, topic, ...rest] = argv;
  if (command !== 'list' && command !== 'replay') fail(`unknown command "${command ?? ''}"`);
  if (!topic) fail('missing <topic>');
  const known = ALL_TOPICS.map((t) => t.name);
  if (!known.includes(topic)) fail(`unknown topic "${topic}" (not in the topic catalogue; give the original topic, not its .dlq)`);
  const ids: string[] = [];
  const originalOffsets: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (command !== 'replay' || (flag !== '--id' && flag !== '--offset')) fail(`unknown option "${flag}"`);
    if (!value) fail(`${flag} needs a value`);
    (flag === '--id' ? ids : originalOffsets).push(value);
  }
  return { command, topic, ids, originalOffsets };
}

function describe(d: DeadLetter): string {
  return [
    `${d.deadLetteredAt}  id=${d.messageId ?? '-'}  type=${d.messageType ?? '-'}`,
    `  from ${d.originalTopic}[${d.originalPartition ?? '?'}]@${d.originalOffset ?? '?'}  group=${d.consumerGroup ?? '-'}  attempts=${d.attempts ?? '-'}`,
    `  reason: ${d.error ? `${d.error}: ` : ''}${d.reason ?? '-'}`,
  ].join('\n');
}

async function main() {
  const { command, topic, ids, originalOffsets } = parse(process.argv.slice(2));
  const config = loadConfigOrExit(kafkaEnvSchema, { KAFKA_BROKERS: '127.0.0.1:19092', ...process.env });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'dlq-tool', logger: pino({ level: 'error' }), security: kafkaSecurityFrom(config) });
  const producer = new MessageProducer(kafka);
  const deadLetters = new DeadLetters(kafka, producer);
  try {
    if (command === 'list') {
      const letters = await deadLetters.list(topic);
      process.stdout.write(letters.length ? `${letters.map(describe).join('\n')}\n${letters.length} dead letter(s) in ${topic}.dlq\n` : `${topic}.dlq is empty\n`);
    } else {
      await producer.connect();
      const replayed = await deadLetters.replay(topic, { ids, originalOffsets });
      const missing = [...ids.filter((id) => !replayed.some((d) => d.messageId === id)), ...originalOffsets.filter((o) => !replayed.some((d) => d.originalOffset === o))];
      process.stdout.write(`replayed ${replayed.length} dead letter(s) to ${topic}${replayed.length ? `: ${replayed.map((d) => d.messageId ?? d.offset).join(', ')}` : ''}\n`);
      if (missing.length) {
        process.stderr.write(`[dlq] not found in ${topic}.dlq: ${missing.join(', ')}\n`);
        process.exitCode = 1;
      }
    }
  } finally {
    await producer.disconnect();
  }
}

main().catch((error) => {
  process.stderr.write(`[dlq] failed: ${error.message}\n`);
  process.exit(1);
});
