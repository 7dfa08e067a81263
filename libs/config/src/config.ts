import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Raised when the environment does not satisfy a service's schema; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Empty strings count as unset, as they do in .env files and k8s manifests. */
function normalise(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v === '' ? undefined : v;
  return out;
}

export function parseConfig<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(normalise(env));
  if (result.success) {
    // Settings that are only valid together (Kafka's SASL and TLS) are checked as a whole, naming the variable.
    if ('KAFKA_BROKERS' in schema.shape) {
      const problems = kafkaSecurityProblems(result.data as KafkaEnv);
      if (problems.length) throw new ConfigError(problems);
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(environment)');
    const missing = issue.code === 'invalid_type' && normalise(env)[variable] === undefined;
    return { variable, message: missing ? 'is required but not set' : issue.message };
  });
  throw new ConfigError(problems);
}

/**
 * For process entry points: parse or exit(1) with the variables named on stderr.
 * Never prints values, since many of them are secrets.
 */
export function loadConfigOrExit<S extends z.ZodObject<z.ZodRawShape>>(schema: S, env = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

// ---- reusable field types -------------------------------------------------------------------------------

export const port = (fallback?: number) => {
  const base = z.coerce.number().int().min(1).max(65535);
  return fallback === undefined ? base : base.default(fallback);
};

export const boolFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const brokerList = z
  .string()
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port[,host:port…]')).min(1));

export const url = z.url();

/**
 * How to reach Kafka: brokers, and for a secured cluster SASL (SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN — PLAIN only
 * over TLS in production) and TLS (the system CAs, or KAFKA_SSL_CA_FILE; a client certificate for mTLS). Used by
 * every service and by the tools (ensure-topics, the platform launcher, the tests).
 */
export const kafkaEnvSchema = z.object({
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SSL: boolFlag(false),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
});

export type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

/** What kafkajs needs beyond the brokers (libs/messaging `createKafka`); the files already read. */
type SaslMechanism = 'scram-sha-512' | 'scram-sha-256' | 'plain';
/** Shaped as kafkajs' `sasl`/`ssl` options, so a client takes it as it is (libs/config stays free of kafkajs). */
export interface KafkaSecurity {
  sasl?: { [M in SaslMechanism]: { mechanism: M; username: string; password: string } }[SaslMechanism];
  /** `true`: TLS with the system's CAs; otherwise TLS with these PEMs. */
  ssl?: true | { ca?: string; cert?: string; key?: string };
}

function kafkaSecurityProblems(env: KafkaEnv): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  if (env.KAFKA_SASL_MECHANISM) {
    if (!env.KAFKA_SASL_USERNAME) problems.push({ variable: 'KAFKA_SASL_USERNAME', message: 'is required when KAFKA_SASL_MECHANISM is set' });
    if (!env.KAFKA_SASL_PASSWORD) problems.push({ variable: 'KAFKA_SASL_PASSWORD', message: 'is required when KAFKA_SASL_MECHANISM is set' });
  } else if (env.KAFKA_SASL_USERNAME || env.KAFKA_SASL_PASSWORD) {
    problems.push({ variable: 'KAFKA_SASL_MECHANISM', message: 'is required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (scram-sha-512, scram-sha-256 or plain)' });
  }
  for (const variable of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
    const file = env[variable];
    if (!file) continue;
    if (!env.KAFKA_SSL) problems.push({ variable: 'KAFKA_SSL', message: `must be true when ${variable} is set` });
    else {
      try {
        readFileSync(file);
      } catch (error) {
        problems.push({ variable, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      }
    }
  }
  if (!!env.KAFKA_SSL_CERT_FILE !== !!env.KAFKA_SSL_KEY_FILE) {
    const missing = env.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE';
    problems.push({ variable: missing, message: 'is required for a client certificate (KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together)' });
  }
  return [...new Map(problems.map((p) => [`${p.variable}:${p.message}`, p])).values()];
}

/** The SASL/TLS settings of a validated environment (parseConfig has checked that they fit together). */
export function kafkaSecurityFrom(env: KafkaEnv): KafkaSecurity {
  const problems = kafkaSecurityProblems(env);
  if (problems.length) throw new ConfigError(problems);
  const security: KafkaSecurity = {};
  if (env.KAFKA_SASL_MECHANISM) {
    security.sasl = { mechanism: env.KAFKA_SASL_MECHANISM, username: env.KAFKA_SASL_USERNAME!, password: env.KAFKA_SASL_PASSWORD! } as KafkaSecurity['sasl'];
  }
  if (env.KAFKA_SSL) {
    const read = (file?: string) => (file ? readFileSync(file, 'utf8') : undefined);
    const pems = { ca: read(env.KAFKA_SSL_CA_FILE), cert: read(env.KAFKA_SSL_CERT_FILE), key: read(env.KAFKA_SSL_KEY_FILE) };
    security.ssl = pems.ca || pems.cert ? Object.fromEntries(Object.entries(pems).filter(([, v]) => v !== undefined)) : true;
  }
  return security;
}

/** What every service needs: its database, Kafka, Redis, HTTP port and telemetry switches. */
export const serviceEnvSchema = z.object({
  APP_ENV: z.enum(['local', 'test', 'staging', 'production']).default('local'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port(),
  /**
   * Prometheus metrics on their own port (`GET /metrics`), never on PORT: the port a service serves its API on may be
   * public (the gateway's is). Unset: the gateway serves no metrics; other services keep /metrics on PORT.
   */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  DB_HOST: z.string().default('127.0.0.1'),
  DB_PORT: port(3306),
  DB_USERNAME: z.string().default('root'),
  DB_PASSWORD: z.string().default(''),
  DB_DATABASE: z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  ...kafkaEnvSchema.shape,
  REDIS_HOST: z.string().default('127.0.0.1'),
  REDIS_PORT: port(6379),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_DB: z.coerce.number().int().min(0).max(15).default(0),
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60000).default(500),
  /** Published outbox rows are deleted after this many hours (they are only a recent history). */
  OUTBOX_RETENTION_HOURS: z.coerce.number().min(0.01).max(24 * 365).default(72),
  /**
   * Processed-message (inbox) records are deleted after this many days. Must exceed the longest time a message can
   * be delivered again (the topics' retention, 7 days at most), or a replay would be applied twice.
   */
  INBOX_RETENTION_DAYS: z.coerce.number().min(8).max(3650).default(30),
  /** How often each service prunes its outbox and inbox tables. */
  MESSAGING_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(15000),
  /**
   * Which proxies may set X-Forwarded-For (Fastify's trustProxy: 'loopback', a CIDR list, or a hop count).
   * Default: none, so a client cannot fake its address and dodge IP-keyed rate limits.
   */
  TRUST_PROXY: z.string().optional(),
});

export type ServiceEnv = z.infer<typeof serviceEnvSchema>;
