/**
 * Strimzi objects derived from the code, so the cluster's topics and permissions follow the catalogue:
 * - k8s/base/kafka/topics.yaml: a KafkaTopic per catalogue topic (libs/contracts Topics), its `.dlq`, and the
 *   outbox state topic (compacted);
 * - k8s/base/kafka/users.yaml: a KafkaUser per service (SCRAM-SHA-512) whose ACLs let it write only the topics it
 *   produces (the catalogue's `producer`, the dead-letter topics of what it consumes, heartbeats, outbox state,
 *   its own reply topics) and read only what it consumes (its @OnEvent/@OnEventBatch/@OnRequest topics).
 *   `npm run k8s:generate` rewrites both (and the monitoring objects, monitoring-objects.ts);
 *   tools/k8s/kafka-objects.spec.ts fails when any of them drifts.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dump } from 'js-yaml';
import { ALL_TOPICS, OUTBOX_STATE_TOPIC, Topics, dlqTopicName } from '@receptionist/contracts';
import { GENERATED_MONITORING } from './monitoring-objects';

export const SERVICES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'] as const;
const CLUSTER = 'receptionist';
const root = resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
}

/** Topic names a service's handlers subscribe to (`@OnEvent(Topics.x.name)` and friends). */
export function consumedTopics(service: string): string[] {
  const keys = new Set<string>();
  for (const text of sources(join(root, 'apps', service, 'src'))) {
    for (const m of text.matchAll(/@On(?:Event|EventBatch|Request)\(\s*Topics\.(\w+)\.name/g)) keys.add(m[1]);
  }
  return [...keys].map((k) => {
    const topic = (Topics as Record<string, { name: string }>)[k];
    if (!topic) throw new Error(`${service}: @On… names unknown topic Topics.${k}`);
    return topic.name;
  }).sort();
}

/** Command topics a service sends requests to besides the catalogue's producer (`client.request(Topics.x.name`, e.g. sync → calendar.request). */
export function requestedTopics(service: string): string[] {
  const keys = new Set<string>();
  for (const text of sources(join(root, 'apps', service, 'src'))) {
    for (const m of text.matchAll(/client\.request\(\s*Topics\.(\w+)\.name/g)) keys.add(m[1]);
  }
  return [...keys].map((k) => (Topics as Record<string, { name: string }>)[k]?.name).filter((n): n is string => !!n).sort();
}

type Acl = { resource: { type: string; name?: string; patternType?: string }; operations: string[] };
const literal = (type: string, name: string, operations: string[]): Acl => ({ resource: { type, name, patternType: 'literal' }, operations });
const prefix = (type: string, name: string, operations: string[]): Acl => ({ resource: { type, name, patternType: 'prefix' }, operations });

export function userAcls(service: string): Acl[] {
  const consumed = consumedTopics(service);
  const produced = [...new Set([...ALL_TOPICS.filter((t) => t.producer === service).map((t) => t.name), ...requestedTopics(service)])];
  const acls: Acl[] = [];
  for (const t of produced) acls.push(literal('topic', t, ['Write', 'Describe']));
  for (const t of consumed) {
    acls.push(literal('topic', t, ['Read', 'Describe']));
    acls.push(literal('topic', dlqTopicName(t), ['Write', 'Describe'])); // poison messages go to <topic>.dlq
  }
  // Every service reports heartbeats and keeps its outbox state; notification's dead-letter alerts read every DLQ.
  if (service !== Topics.serviceHeartbeat.producer) acls.push(literal('topic', Topics.serviceHeartbeat.name, ['Write', 'Describe']));
  acls.push(literal('topic', OUTBOX_STATE_TOPIC, ['Read', 'Write', 'Describe']));
  if (service === 'notification') {
    for (const t of ALL_TOPICS) acls.push(literal('topic', dlqTopicName(t.name), ['Read', 'Describe']));
  }
  // Request-reply: each instance creates, reads and deletes its own reply topic; responders write replies to any
  // requester's reply topic.
  acls.push(prefix('topic', `${service}.replies.`, ['Create', 'Read', 'Write', 'Delete', 'Describe']));
  if (consumed.some((t) => ALL_TOPICS.find((d) => d.name === t)?.kind === 'command')) {
    for (const s of SERVICES) acls.push(prefix('topic', `${s}.replies.`, ['Write', 'Describe']));
  }
  acls.push(prefix('group', service, ['Read', 'Describe']));
  acls.push(prefix('transactionalId', service, ['Write', 'Describe']));
  acls.push({ resource: { type: 'cluster' }, operations: ['IdempotentWrite', 'Describe'] });
  // One ACL per resource, operations merged.
  const merged = new Map<string, Acl>();
  for (const a of acls) {
    const key = JSON.stringify(a.resource);
    const seen = merged.get(key);
    if (seen) seen.operations = [...new Set([...seen.operations, ...a.operations])];
    else merged.set(key, { resource: a.resource, operations: [...a.operations] });
  }
  return [...merged.values()];
}

const labels = { 'strimzi.io/cluster': CLUSTER };
const header = (what: string) =>
  `# GENERATED by tools/k8s/kafka-objects.ts from ${what} (npm run k8s:generate); do not edit.\n`;

export function topicsYaml(): string {
  const topic = (name: string, partitions: number, config: Record<string, string | number>) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: { name: name.replace(/[^a-z0-9-]/g, '-'), labels },
    spec: { topicName: name, partitions, replicas: 3, config },
  });
  const docs = [];
  for (const t of ALL_TOPICS) {
    const retention = (t.retentionHours ?? 24 * 7) * 3_600_000;
    docs.push(topic(t.name, t.partitions, { 'retention.ms': retention, 'min.insync.replicas': 2 }));
    docs.push(topic(dlqTopicName(t.name), 1, { 'retention.ms': 30 * 24 * 3_600_000, 'min.insync.replicas': 2 }));
  }
  docs.push(topic(OUTBOX_STATE_TOPIC, 1, { 'cleanup.policy': 'compact', 'min.insync.replicas': 2 }));
  return header('the topic catalogue in libs/contracts') + docs.map((d) => dump(d, { lineWidth: 140 })).join('---\n');
}

export function usersYaml(): string {
  const docs = SERVICES.map((service) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaUser',
    metadata: { name: service, labels },
    spec: {
      authentication: { type: 'scram-sha-512' },
      authorization: { type: 'simple', acls: userAcls(service) },
    },
  }));
  return header("the catalogue's producers and the services' @OnEvent/@OnRequest handlers") + docs.map((d) => dump(d, { lineWidth: 140 })).join('---\n');
}

export const GENERATED = {
  'k8s/base/kafka/topics.yaml': topicsYaml,
  'k8s/base/kafka/users.yaml': usersYaml,
  ...GENERATED_MONITORING,
};

if (require.main === module) {
  for (const [file, render] of Object.entries(GENERATED)) {
    writeFileSync(join(root, file), render());
    process.stdout.write(`[k8s] wrote ${file}\n`);
  }
}
