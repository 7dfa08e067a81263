import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredObject {
  sizeBytes: number;
  sha256: string;
}

/** Where recordings live. Keys are relative paths such as `<companyId>/2026/11/<callId>.wav`. */
export interface AudioStorage {
  readonly driver: 'local' | 's3';
  /** Stores the whole stream under `key` (replacing it), refusing more than `maxBytes`; never leaves a partial object. */
  put(key: string, body: Readable, contentType: string, maxBytes: number): Promise<StoredObject>;
  /** `length` bytes from `offset` (fewer at the end). */
  read(key: string, offset: number, length: number): Promise<Buffer>;
  /** Removes the object; nothing to remove is no error (erasure and retention repeat it after a crash). */
  delete(key: string): Promise<void>;
}

export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

/** Counts and hashes what passes through, and stops the stream beyond `maxBytes`. */
export function measuring(maxBytes: number): Transform & { result: () => StoredObject } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new TooLargeError(`recording is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  }) as Transform & { result: () => StoredObject };
  t.result = () => ({ sizeBytes: size, sha256: hash.digest('hex') });
  return t;
}

/** Keys are built by us from ids; still, nothing may name a path outside the root. */
export function safeKey(key: string): string {
  if (!/^[A-Za-z0-9_.\-/]{1,300}$/.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error('invalid storage key');
  }
  return key;
}

/** Local disk under one directory: written to a temporary file and renamed, so a reader never sees half a file. */
export class LocalAudioStorage implements AudioStorage {
  readonly driver = 'local' as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private file(key: string) {
    return path.join(this.root, safeKey(key));
  }

  async put(key: string, body: Readable, _contentType: string, maxBytes: number): Promise<StoredObject> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(4).toString('hex')}.part`;
    const meter = measuring(maxBytes);
    try {
      await pipeline(body, meter, createWriteStream(tmp));
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return meter.result();
  }

  async read(key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await open(this.file(key), 'r');
    try {
      const size = (await handle.stat()).size;
      const n = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.alloc(n);
      if (n > 0) await handle.read(buffer, 0, n, offset);
      return buffer;
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  /** For tests and operators: the stored file's size, or null. */
  async size(key: string): Promise<number | null> {
    return stat(this.file(key)).then((s) => s.size, () => null);
  }

  stream(key: string): Readable {
    return createReadStream(this.file(key));
  }
}
