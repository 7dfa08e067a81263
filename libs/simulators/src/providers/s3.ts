import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';

/**
 * An S3-compatible object store (path-style addressing, as MinIO is used): CreateBucket, HeadBucket, DeleteBucket,
 * ListBuckets, ListObjectsV2, PutObject, GetObject (with `Range`), HeadObject, DeleteObject. Every request must be
 * signed with AWS Signature V4 (`Authorization: AWS4-HMAC-SHA256 …`) by the key pair SIM_S3_ACCESS_KEY_ID /
 * SIM_S3_SECRET_ACCESS_KEY (default the exported local pair below; region SIM_S3_REGION, us-east-1), checked like S3:
 * unknown key → 403 InvalidAccessKeyId, wrong signature → 403 SignatureDoesNotMatch, clock more than 15 min off →
 * 403 RequestTimeTooSkewed, anonymous → 403 AccessDenied. Payloads are checked too: `x-amz-content-sha256` (a hex
 * hash, `UNSIGNED-PAYLOAD`, or `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with an aws-chunked body and its checksum
 * trailer, as SDK v3 sends with flexible checksums), `Content-MD5` and `x-amz-checksum-{crc32,crc32c,sha1,sha256}`
 * (→ 400 BadDigest). Errors are S3's XML bodies (`<Error><Code>NoSuchKey</Code>…`).
 *
 * Test controls (besides the shared /__sim ones):
 *   GET  /__sim/s3/objects        every stored object: { bucket, key, size, etag, contentType, checksums, metadata }
 */
export const S3_SIM_ACCESS_KEY_ID = 'AKIASIMULATOR0000001';
export const S3_SIM_SECRET_ACCESS_KEY = 'simulator/secret/key/for/local/use/only0';
export const S3_SIM_REGION = 'us-east-1';
/** Created at start and after every reset, so a locally started platform can store recordings at once. */
export const S3_SIM_DEFAULT_BUCKET = 'recordings';

const MAX_SKEW_MS = 15 * 60_000;
const MAX_OBJECT_BYTES = 512 * 1024 * 1024;

export interface S3Object {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  /** Checksums the writer sent (algorithm → base64), verified on the way in. */
  checksums: Record<string, string>;
}

export interface S3State extends SimulatorState {
  region: string;
  /** access key id → secret access key */
  credentials: Map<string, string>;
  buckets: Map<string, { createdAt: Date; objects: Map<string, S3Object> }>;
}

/** The key pair it accepts: SIM_S3_ACCESS_KEY_ID / SIM_S3_SECRET_ACCESS_KEY, or the built-in local pair. */
export function createS3State(env: NodeJS.ProcessEnv = process.env): S3State {
  const id = env.SIM_S3_ACCESS_KEY_ID || S3_SIM_ACCESS_KEY_ID;
  const secret = env.SIM_S3_SECRET_ACCESS_KEY || S3_SIM_SECRET_ACCESS_KEY;
  const state: S3State = {
    region: env.SIM_S3_REGION || S3_SIM_REGION,
    credentials: new Map([[id, secret]]),
    buckets: new Map(),
    reset() {
      state.buckets.clear();
      state.buckets.set(S3_SIM_DEFAULT_BUCKET, { createdAt: new Date(), objects: new Map() });
    },
  };
  state.reset();
  return state;
}

class S3Error extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const tag = (name: string, value: string | number) => `<${name}>${xmlEscape(String(value))}</${name}>`;

function errorXml(code: string, message: string, extra: Record<string, string> = {}): string {
  const fields = Object.entries(extra)
    .map(([k, v]) => tag(k, v))
    .join('');
  return xml(`<Error>${tag('Code', code)}${tag('Message', message)}${fields}${tag('RequestId', randomBytes(8).toString('hex').toUpperCase())}</Error>`);
}

const DEFAULT_CODES: Record<number, [string, string]> = {
  400: ['InvalidRequest', 'Invalid request'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchBucket', 'The specified bucket does not exist'],
  405: ['MethodNotAllowed', 'The specified method is not allowed against this resource.'],
  501: ['NotImplemented', 'A header you provided implies functionality that is not implemented'],
  503: ['ServiceUnavailable', 'Please reduce your request rate.'],
};

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      const [k, v] = i < 0 ? [pair, ''] : [pair.slice(0, i), pair.slice(i + 1)];
      const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, '%20'));
      return [uriEncode(dec(k)), uriEncode(dec(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The SigV4 signature S3 expects for this request (exported for tests that sign by hand). */
export function signatureV4(input: {
  secret: string;
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
  amzDate: string;
  scope: string;
}): string {
  const canonicalHeaders = input.signedHeaders.map((h) => `${h}:${(input.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [input.method, input.rawPath, canonicalQuery(input.rawQuery), canonicalHeaders, input.signedHeaders.join(';'), input.payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, input.scope, sha256hex(canonicalRequest)].join('\n');
  const [date, region, service, terminator] = input.scope.split('/');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.secret}`, date), region), service), terminator);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function headerMap(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : String(v);
  return out;
}

function parseAmzDate(s: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

/** Checks the Authorization header; throws the S3 error a real bucket would answer. */
function authenticate(state: S3State, request: FastifyRequest, rawPath: string, rawQuery: string): void {
  const headers = headerMap(request);
  const auth = headers.authorization;
  if (!auth) {
    if (/(^|&)X-Amz-Signature=/i.test(rawQuery)) throw new S3Error(403, 'AccessDenied', 'Presigned URLs are not supported by this simulator');
    throw new S3Error(403, 'AccessDenied', 'Access Denied');
  }
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})$/.exec(auth.trim());
  if (!m) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
  const [, credential, signedList, signature] = m;
  const [accessKeyId, ...scopeParts] = credential.split('/');
  const scope = scopeParts.join('/');
  const secret = state.credentials.get(accessKeyId);
  if (!secret) throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  const amzDate = headers['x-amz-date'];
  const at = amzDate ? parseAmzDate(amzDate) : null;
  if (!at) throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(Date.now() - at.getTime()) > MAX_SKEW_MS) {
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
  const [date, region, service, terminator] = scopeParts;
  if (scopeParts.length !== 4 || date !== amzDate!.slice(0, 8) || service !== 's3' || terminator !== 'aws4_request') {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  if (region !== state.region) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${region}' is wrong; expecting '${state.region}'`, { Region: state.region });
  }
  const signedHeaders = signedList.split(';');
  if (!signedHeaders.includes('host') || (signedHeaders.some((h) => h !== h.toLowerCase()))) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed; host must be signed.');
  }
  const payloadHash = headers['x-amz-content-sha256'];
  if (!payloadHash) throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const expected = signatureV4({ secret, method: request.method, rawPath, rawQuery, headers, signedHeaders, payloadHash, amzDate: amzDate!, scope });
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(signature, 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
}

// ---- checksums ----

let crc32cTable: Uint32Array | null = null;
function crc32c(data: Buffer): number {
  if (!crc32cTable) {
    crc32cTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      crc32cTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crc32cTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
};
const CHECKSUMS: Record<string, (body: Buffer) => string> = {
  crc32: (b) => u32(crc32(b)),
  crc32c: (b) => u32(crc32c(b)),
  sha1: (b) => createHash('sha1').update(b).digest('base64'),
  sha256: (b) => createHash('sha256').update(b).digest('base64'),
};

/** Decodes an aws-chunked body (`<hex size>[;chunk-signature=…]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n`). */
function decodeAwsChunked(raw: Buffer): { body: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = [];
  let pos = 0;
  const line = () => {
    const end = raw.indexOf('\r\n', pos);
    if (end < 0) throw new S3Error(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    const text = raw.subarray(pos, end).toString('latin1');
    pos = end + 2;
    return text;
  };
  for (;;) {
    const header = line();
    const size = parseInt(header.split(';')[0], 16);
    if (!Number.isFinite(size) || size < 0) throw new S3Error(400, 'InvalidRequest', 'Invalid chunk size in aws-chunked body');
    if (size === 0) break;
    if (pos + size + 2 > raw.length) throw new S3Error(400, 'IncompleteBody', 'The request body terminated unexpectedly');
    parts.push(raw.subarray(pos, pos + size));
    pos += size;
    if (raw.subarray(pos, pos + 2).toString('latin1') !== '\r\n') throw new S3Error(400, 'InvalidRequest', 'Malformed aws-chunked body');
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  while (pos < raw.length) {
    const t = line();
    if (t === '') break;
    const i = t.indexOf(':');
    if (i > 0) trailers[t.slice(0, i).trim().toLowerCase()] = t.slice(i + 1).trim();
  }
  return { body: Buffer.concat(parts), trailers };
}

/** The object's bytes as S3 would store them, after every integrity check the request asked for. */
function payloadOf(request: FastifyRequest): { body: Buffer; checksums: Record<string, string> } {
  const headers = headerMap(request);
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const mode = headers['x-amz-content-sha256'];
  let body = raw;
  const sent: Record<string, string> = {};
  if (mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    const decoded = decodeAwsChunked(raw);
    body = decoded.body;
    const declared = headers['x-amz-decoded-content-length'];
    if (declared !== undefined && Number(declared) !== body.length) throw new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the x-amz-decoded-content-length header.');
    for (const name of (headers['x-amz-trailer'] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      if (decoded.trailers[name] === undefined) throw new S3Error(400, 'MalformedTrailerError', `The request contained a trailer header ${name} without a value.`);
      headers[name] = decoded.trailers[name];
    }
  } else if (mode.startsWith('STREAMING-')) {
    // Signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD…) are not needed by the SDK over plain PUTs.
    throw new S3Error(501, 'NotImplemented', `x-amz-content-sha256 ${mode} is not implemented by this simulator`);
  } else if (mode !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(mode)) throw new S3Error(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.');
    if (sha256hex(raw) !== mode) throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const md5 = headers['content-md5'];
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) {
    throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  for (const [algorithm, compute] of Object.entries(CHECKSUMS)) {
    const value = headers[`x-amz-checksum-${algorithm}`];
    if (value === undefined) continue;
    if (compute(body) !== value) throw new S3Error(400, 'BadDigest', `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
    sent[algorithm] = value;
  }
  return { body, checksums: sent };
}

function parseRange(header: string, size: number): { start: number; end: number } | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // S3 ignores a range it cannot parse
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: String(size) });
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header, ActualObjectSize: String(size) });
  return { start, end };
}

function objectHeaders(reply: FastifyReply, obj: S3Object, withChecksums: boolean) {
  reply.header('etag', obj.etag).header('last-modified', obj.lastModified.toUTCString()).header('accept-ranges', 'bytes').header('content-type', obj.contentType);
  for (const [k, v] of Object.entries(obj.metadata)) reply.header(`x-amz-meta-${k}`, v);
  if (withChecksums) for (const [k, v] of Object.entries(obj.checksums)) reply.header(`x-amz-checksum-${k}`, v);
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const s3Simulator: Simulator<S3State> = {
  name: 's3',
  defaultPort: 4090,
  createState: () => createS3State(),
  async register(app: FastifyInstance, state: S3State) {
    app.get(`${CONTROL_PREFIX}/s3/objects`, async () => ({
      objects: [...state.buckets].flatMap(([bucket, b]) =>
        [...b.objects].map(([key, o]) => ({ bucket, key, size: o.body.length, etag: o.etag, contentType: o.contentType, checksums: o.checksums, metadata: o.metadata })),
      ),
    }));

    // Object bodies are bytes, not text: a context of its own with a raw-buffer parser for every content type.
    await app.register(async (s3) => {
      s3.removeAllContentTypeParsers();
      s3.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_OBJECT_BYTES }, (_req, body, done) => done(null, body));
      s3.addHook('onSend', async (request, reply, payload) => {
        if (typeof payload === 'string' && payload.startsWith('<?xml')) reply.header('content-type', 'application/xml');
        reply.header('x-amz-request-id', request.id).header('server', 'AmazonS3');
        return payload;
      });
      s3.setErrorHandler((error, request, reply) => {
        const e = error instanceof S3Error ? error : new S3Error((error as { statusCode?: number }).statusCode ?? 500, 'InternalError', (error as Error).message);
        if (e.code === 'InternalError' && e.statusCode === 413) return reply.code(400).send(errorXml('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'));
        // HEAD answers carry no body (S3 sends only the status).
        if (request.method === 'HEAD') return reply.code(e.statusCode).send();
        return reply.code(e.statusCode).send(errorXml(e.code, e.message, e.extra));
      });

      const handler = async (request: FastifyRequest, reply: FastifyReply) => {
        const rawUrl = request.raw.url ?? '/';
        const q = rawUrl.indexOf('?');
        const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
        const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
        const segments = rawPath.split('/').slice(1);
        const bucketName = decodeURIComponent(segments[0] ?? '');
        const key = segments.slice(1).map(decodeURIComponent).join('/');
        const bucket = bucketName ? state.buckets.get(bucketName) : undefined;
        if (!request.headers.authorization && bucketName && !bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName });
        authenticate(state, request, rawPath, rawQuery);
        const query = request.query as Record<string, string>;

        if (!bucketName) {
          if (request.method !== 'GET') throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
          const list = [...state.buckets].map(([name, b]) => `<Bucket>${tag('Name', name)}${tag('CreationDate', b.createdAt.toISOString())}</Bucket>`).join('');
          return reply.send(xml(`<ListAllMyBucketsResult><Buckets>${list}</Buckets><Owner>${tag('ID', 'simulator')}</Owner></ListAllMyBucketsResult>`));
        }

        if (!key) {
          if (request.method === 'PUT') {
            if (!BUCKET_NAME.test(bucketName)) throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucketName });
            if (bucket) throw new S3Error(409, 'BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucketName });
            state.buckets.set(bucketName, { createdAt: new Date(), objects: new Map() });
            return reply.header('location', `/${bucketName}`).send();
          }
          if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName });
          if (request.method === 'HEAD') return reply.header('x-amz-bucket-region', state.region).send();
          if (request.method === 'DELETE') {
            if (bucket.objects.size) throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: bucketName });
            state.buckets.delete(bucketName);
            return reply.code(204).send();
          }
          if (request.method === 'GET' && query['list-type'] === '2') {
            const prefix = query.prefix ?? '';
            const max = Math.min(Number(query['max-keys'] ?? 1000) || 1000, 1000);
            const after = query['continuation-token'] ? Buffer.from(query['continuation-token'], 'base64url').toString('utf8') : (query['start-after'] ?? '');
            const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
            const page = keys.slice(0, max);
            const truncated = keys.length > max;
            const contents = page
              .map((k) => {
                const o = bucket.objects.get(k)!;
                return `<Contents>${tag('Key', k)}${tag('LastModified', o.lastModified.toISOString())}${tag('ETag', o.etag)}${tag('Size', o.body.length)}${tag('StorageClass', 'STANDARD')}</Contents>`;
              })
              .join('');
            return reply.send(
              xml(
                `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${tag('Name', bucketName)}${tag('Prefix', prefix)}${tag('KeyCount', page.length)}${tag('MaxKeys', max)}${tag('IsTruncated', String(truncated))}${contents}${
                  truncated ? tag('NextContinuationToken', Buffer.from(page[page.length - 1]).toString('base64url')) : ''
                }</ListBucketResult>`,
              ),
            );
          }
          throw new S3Error(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented');
        }

        if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucketName });
        if (Buffer.byteLength(key) > 1024) throw new S3Error(400, 'KeyTooLongError', 'Your key is too long');
        switch (request.method) {
          case 'PUT': {
            if (request.headers['x-amz-copy-source'] || Object.keys(query).some((k) => k === 'uploadId' || k === 'partNumber')) {
              throw new S3Error(501, 'NotImplemented', 'CopyObject and multipart uploads are not implemented by this simulator');
            }
            const { body, checksums } = payloadOf(request);
            const metadata: Record<string, string> = {};
            for (const [k, v] of Object.entries(request.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
            const etag = `"${createHash('md5').update(body).digest('hex')}"`;
            bucket.objects.set(key, {
              body,
              contentType: typeof request.headers['content-type'] === 'string' ? request.headers['content-type'] : 'binary/octet-stream',
              etag,
              lastModified: new Date(),
              metadata,
              checksums,
            });
            // The request log keeps a note, not the object's bytes.
            (request as { body: unknown }).body = `<${body.length} bytes>`;
            reply.header('etag', etag);
            for (const [k, v] of Object.entries(checksums)) reply.header(`x-amz-checksum-${k}`, v);
            return reply.send();
          }
          case 'GET':
          case 'HEAD': {
            const obj = bucket.objects.get(key);
            if (!obj) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
            const ifMatch = request.headers['if-match'];
            if (typeof ifMatch === 'string' && ifMatch !== obj.etag && ifMatch !== '*') throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
            const range = typeof request.headers.range === 'string' ? parseRange(request.headers.range, obj.body.length) : null;
            objectHeaders(reply, obj, !range && request.headers['x-amz-checksum-mode'] === 'ENABLED');
            if (range) {
              reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${obj.body.length}`);
              const part = obj.body.subarray(range.start, range.end + 1);
              if (request.method === 'HEAD') return reply.header('content-length', part.length).send();
              return reply.send(part);
            }
            if (request.method === 'HEAD') return reply.header('content-length', obj.body.length).send();
            return reply.send(obj.body);
          }
          case 'DELETE':
            bucket.objects.delete(key);
            return reply.code(204).send();
          default:
            throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
        }
      };
      s3.route({ method: ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'], url: '/*', exposeHeadRoute: false, handler });
      s3.route({ method: ['GET', 'HEAD', 'PUT', 'DELETE', 'POST'], url: '/', exposeHeadRoute: false, handler });
    });
  },
  error(statusCode: number, message: string, request: FastifyRequest) {
    const [code, text] = DEFAULT_CODES[statusCode] ?? ['InternalError', message];
    const body = request.method === 'HEAD' ? '' : errorXml(code, statusCode === 404 ? message : text);
    return { statusCode, body };
  },
};
