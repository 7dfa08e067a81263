import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { s3BreakerState, s3Errors, s3RequestDuration } from '../calls.metrics';
import { measuring, safeKey, type AudioStorage, type StoredObject } from './audio-storage';

export interface S3AudioStorageOptions {
  bucket: string;
  /** S3-compatible endpoint (MinIO, the simulator); path-style addressing is used with it. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither uses the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  prefix?: string;
  timeoutMs?: number;
  breakerResetMs?: number;
  /** Where a download is spooled before the upload (the OS temp directory by default). */
  spoolDir?: string;
}

const quiet = () => undefined;
const QUIET = { trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

/** Worth another try: the network, S3 throttling or a 5xx. A 4xx (bad key, missing bucket, bad digest) is not. */
export function isTransientS3Error(error: unknown): boolean {
  if (error instanceof BrokenCircuitError) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status === undefined) return true; // no answer at all: connection refused, reset, timeout
  return status >= 500 || status === 429 || status === 408;
}

/**
 * Recordings in an S3 bucket (`AUDIO_STORAGE_DRIVER=s3`): AWS S3, or MinIO / the simulator via `AUDIO_S3_ENDPOINT`.
 * The download is spooled to a temporary file first, measured and hashed on the way, so the upload knows its length
 * and SHA-256: PutObject carries `x-amz-checksum-sha256` and the store refuses bytes that do not match (BadDigest),
 * and a retry can send the file again (a network stream cannot be rewound). Calls go through a retry (transient
 * errors, 2 more tries) inside a breaker (5 outages in a row open it for AUDIO_S3_BREAKER_RESET_MS); an upload
 * that still fails throws, so the recording stays pending and the poller tries again later.
 */
export class S3AudioStorage implements AudioStorage {
  readonly driver = 's3' as const;
  readonly client: S3Client;
  private readonly policy: IPolicy;
  private readonly breaker;

  constructor(private readonly options: S3AudioStorageOptions) {
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: Boolean(options.endpoint),
      credentials: options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
      // Retries are ours (below): the SDK cannot replay a streamed body.
      maxAttempts: 1,
      // Without a logger the SDK writes "non-retryable streaming request" to the console on every failed upload; the
      // outcome is logged and counted by the caller.
      logger: QUIET,
      requestHandler: { requestTimeout: options.timeoutMs ?? 30_000, connectionTimeout: Math.min(options.timeoutMs ?? 30_000, 5000) },
    });
    this.breaker = circuitBreaker(handleWhen(isTransientS3Error), { halfOpenAfter: options.breakerResetMs ?? 30_000, breaker: new ConsecutiveBreaker(5) });
    this.breaker.onStateChange((state) => s3BreakerState().set(state === CircuitState.Open || state === CircuitState.Isolated ? 2 : state === CircuitState.HalfOpen ? 1 : 0));
    s3BreakerState().set(0);
    const retries = retry(handleWhen(isTransientS3Error), { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 2000 }) });
    this.policy = wrap(retries, this.breaker);
  }

  get breakerState(): CircuitState {
    return this.breaker.state;
  }

  private objectKey(key: string): string {
    return `${this.options.prefix ?? ''}${safeKey(key)}`;
  }

  /** One S3 operation through retry and breaker, measured; each attempt is timed on its own. */
  private async call<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(async ({ signal }) => {
        const started = process.hrtime.bigint();
        let outcome = 'ok';
        try {
          return await fn(signal);
        } catch (error) {
          outcome = isTransientS3Error(error) ? 'unavailable' : 'refused';
          throw error;
        } finally {
          s3RequestDuration().observe({ operation, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      });
    } catch (error) {
      const reason = error instanceof BrokenCircuitError ? 'circuit_open' : error instanceof S3ServiceException ? error.name : isTransientS3Error(error) ? 'network' : 'other';
      s3Errors().inc({ operation, reason });
      if (error instanceof BrokenCircuitError) throw new Error(`S3 circuit open (${operation})`);
      throw error;
    }
  }

  async put(key: string, body: Readable, contentType: string, maxBytes: number): Promise<StoredObject> {
    const objectKey = this.objectKey(key);
    const dir = await mkdtemp(path.join(this.options.spoolDir ?? tmpdir(), 'recording-'));
    const spool = path.join(dir, randomBytes(4).toString('hex'));
    try {
      const meter = measuring(maxBytes);
      await pipeline(body, meter, createWriteStream(spool));
      const stored = meter.result();
      const checksum = Buffer.from(stored.sha256, 'hex').toString('base64');
      await this.upload(objectKey, spool, stored, checksum, contentType);
      return stored;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async upload(objectKey: string, spool: string, stored: StoredObject, checksum: string, contentType: string) {
    try {
      await this.call('put_object', (abortSignal) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: objectKey,
            Body: createReadStream(spool),
            ContentLength: stored.sizeBytes,
            ContentType: contentType,
            ChecksumSHA256: checksum,
            Metadata: { sha256: stored.sha256 },
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      // What the recording row keeps as last_error: which store and what it answered (no credentials in either).
      throw new Error(`S3 upload failed: ${(error as Error).name}: ${(error as Error).message}`.slice(0, 400), { cause: error });
    }
  }

  async read(key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    try {
      return await this.call('get_object', async (abortSignal) => {
        const res = await this.client.send(
          new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Range: `bytes=${offset}-${offset + length - 1}` }),
          { abortSignal },
        );
        return Buffer.from(await res.Body!.transformToByteArray());
      });
    } catch (error) {
      // Past the end: like the local driver, nothing.
      if ((error as { name?: string }).name === 'InvalidRange') return Buffer.alloc(0);
      throw error;
    }
  }

  /** Size and SHA-256 (our metadata) of a stored object, or null when there is none. */
  async head(key: string): Promise<StoredObject | null> {
    try {
      const res = await this.call('head_object', (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }), { abortSignal }));
      return { sizeBytes: Number(res.ContentLength ?? 0), sha256: res.Metadata?.sha256 ?? '' };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.call('delete_object', (abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }), { abortSignal }));
  }

  /** At start-up: does the bucket exist and do the credentials open it? Answers a reason, never throws. */
  async check(): Promise<{ ok: boolean; reason?: string }> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
      return { ok: true };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      return { ok: false, reason: status ? `HeadBucket answered ${status} (${(error as Error).name})` : `S3 not reachable: ${(error as Error).message}` };
    }
  }

  close(): void {
    this.client.destroy();
  }
}
