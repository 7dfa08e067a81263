import { z } from 'zod';
import { ConfigError } from '@receptionist/config';

/**
 * Hosts Retell serves recordings from (its CloudFront distribution, as in `recording_url` of real calls) and its own
 * domain. Anything else named in a webhook is refused, never fetched (the URL comes from outside: SSRF).
 */
export const RETELL_RECORDING_HOSTS = 'dxc03zgurdly9.cloudfront.net,*.retellai.com';

/** voice-agent's own settings on top of the shared service environment (libs/config). */
export const voice_agentEnvSchema = z.object({
  RETELLAI_API_KEY: z.string().optional(),
  RETELLAI_BASE_URL: z.url().default('http://127.0.0.1:4020'),
  AUDIO_STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  AUDIO_LOCAL_DIR: z.string().default('.run/audio'),
  /** Required when AUDIO_STORAGE_DRIVER=s3 (checked by checkAudioStorageConfig, the shared schema drops refinements). */
  AUDIO_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  /** An S3-compatible endpoint (MinIO, the simulator): path-style addressing is used with it. Unset: AWS S3. */
  AUDIO_S3_ENDPOINT: z.url().optional(),
  AUDIO_S3_REGION: z.string().default('us-east-1'),
  /** Both or neither; neither uses the SDK's default chain (instance role, AWS_* variables, profiles). */
  AUDIO_S3_ACCESS_KEY_ID: z.string().optional(),
  AUDIO_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Object key prefix inside the bucket (e.g. `recordings/`). */
  AUDIO_S3_PREFIX: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be empty or end with /').default(''),
  AUDIO_S3_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** How long the S3 circuit breaker stays open after consecutive outages before one request may try again. */
  AUDIO_S3_BREAKER_RESET_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Hosts recording URLs may point at (comma-separated): `host`, `host:port` or `*.domain`, https only; an entry
   * written `http://host[:port]` also allows plain http to that host (the local simulator). Default: Retell's hosts.
   */
  RECORDING_URL_HOSTS: z.string().default(RETELL_RECORDING_HOSTS),
  /**
   * Companies this instance answers voice functions for (comma-separated ids, `prefix*` allowed; all when
   * unset). Lets several voice-agent instances share one broker in integration tests, as booking does.
   */
  VOICE_AGENT_SERVE_COMPANIES: z.string().optional(),
  /** How often callback wishes booking has not yet taken (it was down) are offered again. */
  CALLBACK_RETRY_MS: z.coerce.number().int().min(100).default(15_000),
  /** How often recordings whose download failed are tried again (each with its own back-off, see calls/recordings). */
  RECORDING_RETRY_MS: z.coerce.number().int().min(100).default(30_000),
  RECORDING_DOWNLOAD_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  RECORDING_MAX_BYTES: z.coerce.number().int().min(1).default(200 * 1024 * 1024),
  /** How often the companies' retention of recordings and transcripts is enforced (one instance at a time). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).default(3_600_000),
});
export type VoiceAgentEnv = z.infer<typeof voice_agentEnvSchema>;

/** Rules across variables (the service schema is extended by shape, so zod refinements would be lost). */
export function checkAudioStorageConfig(config: VoiceAgentEnv): void {
  const problems: { variable: string; message: string }[] = [];
  if (config.AUDIO_STORAGE_DRIVER === 's3') {
    if (!config.AUDIO_S3_BUCKET) problems.push({ variable: 'AUDIO_S3_BUCKET', message: 'is required when AUDIO_STORAGE_DRIVER=s3' });
    if (config.AUDIO_S3_ACCESS_KEY_ID && !config.AUDIO_S3_SECRET_ACCESS_KEY) {
      problems.push({ variable: 'AUDIO_S3_SECRET_ACCESS_KEY', message: 'is required when AUDIO_S3_ACCESS_KEY_ID is set' });
    }
    if (!config.AUDIO_S3_ACCESS_KEY_ID && config.AUDIO_S3_SECRET_ACCESS_KEY) {
      problems.push({ variable: 'AUDIO_S3_ACCESS_KEY_ID', message: 'is required when AUDIO_S3_SECRET_ACCESS_KEY is set' });
    }
  }
  try {
    parseHostAllowList(config.RECORDING_URL_HOSTS);
  } catch (error) {
    problems.push({ variable: 'RECORDING_URL_HOSTS', message: (error as Error).message });
  }
  if (problems.length) throw new ConfigError(problems);
}

export interface AllowedHost {
  /** Lower-case host name, or `.domain` for `*.domain` (any sub-domain, not the domain itself). */
  host: string;
  /** null: the scheme's default port only. */
  port: number | null;
  allowHttp: boolean;
}

/** Parses RECORDING_URL_HOSTS; throws naming the bad entry. */
export function parseHostAllowList(list: string): AllowedHost[] {
  return list
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(http:\/\/)?(\*\.)?([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/i.exec(entry);
      if (!m) throw new Error(`"${entry}" is not a host, host:port, *.domain or http://host entry`);
      return { host: (m[2] ? '.' : '') + m[3].toLowerCase(), port: m[5] ? Number(m[5]) : null, allowHttp: Boolean(m[1]) };
    });
}

/** The allow-list of a validated configuration; a bad list stops the start naming RECORDING_URL_HOSTS. */
export function recordingHosts(config: Pick<VoiceAgentEnv, 'RECORDING_URL_HOSTS'>): AllowedHost[] {
  try {
    return parseHostAllowList(config.RECORDING_URL_HOSTS);
  } catch (error) {
    throw new ConfigError([{ variable: 'RECORDING_URL_HOSTS', message: (error as Error).message }]);
  }
}

/** Whether a recording URL may be fetched: https (or http where the entry allows it) to a listed host and port. */
export function recordingUrlAllowed(url: URL, allowed: AllowedHost[]): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.username || url.password) return false;
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : null;
  return allowed.some((a) => {
    if (url.protocol === 'http:' && !a.allowHttp) return false;
    const hostOk = a.host.startsWith('.') ? host.endsWith(a.host) && host.length > a.host.length : host === a.host;
    // An http:// entry without a port allows any port of that host (the simulator picks free ports in tests).
    const portOk = a.port === null ? (a.allowHttp ? true : port === null) : port === a.port;
    return hostOk && portOk;
  });
}
