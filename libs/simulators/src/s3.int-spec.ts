import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { RunningSimulator, startSimulator } from './simulator';
import { S3_SIM_ACCESS_KEY_ID, S3_SIM_DEFAULT_BUCKET, S3_SIM_REGION, S3_SIM_SECRET_ACCESS_KEY, s3Simulator, S3State, signatureV4 } from './providers/s3';

/** The official AWS SDK v3 against the S3 simulator: Signature V4 checked, payload checksums verified, S3's XML errors. */
let sim: RunningSimulator<S3State>;
const client = (secretAccessKey = S3_SIM_SECRET_ACCESS_KEY, accessKeyId = S3_SIM_ACCESS_KEY_ID) =>
  new S3Client({ endpoint: sim.url, forcePathStyle: true, region: S3_SIM_REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
let s3: S3Client;

beforeAll(async () => {
  sim = await startSimulator(s3Simulator, { port: 0 });
  s3 = client();
});
afterAll(async () => {
  s3.destroy();
  await sim.close();
});
beforeEach(() => sim.reset());

const bytes = (n: number) => randomBytes(n);

it('round trip: PutObject (buffer, stream with aws-chunked trailer, file-like stream with SHA-256), HeadObject, GetObject with Range, ListObjectsV2, DeleteObject', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'audio-test' }));
  await s3.send(new HeadBucketCommand({ Bucket: 'audio-test' }));

  const small = bytes(1000);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/a.wav', Body: small, ContentType: 'audio/wav', Metadata: { sha256: 'x' } }));
  expect(put.ETag).toBe(`"${createHash('md5').update(small).digest('hex')}"`);

  // A stream of unknown length: SDK v3 sends it aws-chunked with STREAMING-UNSIGNED-PAYLOAD-TRAILER and a CRC32 trailer.
  const big = bytes(300_000);
  await s3.send(new PutObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/b.wav', Body: Readable.from([big.subarray(0, 100_000), big.subarray(100_000)]), ContentLength: big.length }));
  const chunked = sim.requests().at(-1)!;
  expect(chunked.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
  expect(chunked.headers['content-encoding']).toBe('aws-chunked');

  // What the audio storage sends: a known length and the SHA-256 the store checks.
  const sha = createHash('sha256').update(big).digest('base64');
  await s3.send(new PutObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/c.wav', Body: Readable.from([big]), ContentLength: big.length, ChecksumSHA256: sha }));
  expect(sim.requests().at(-1)!.headers['x-amz-checksum-sha256']).toBe(sha);

  const head = await s3.send(new HeadObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/a.wav' }));
  expect(head).toMatchObject({ ContentLength: 1000, ContentType: 'audio/wav', Metadata: { sha256: 'x' } });
  for (const [key, body] of [['c1/2026/11/b.wav', big], ['c1/2026/11/c.wav', big]] as const) {
    const got = await s3.send(new GetObjectCommand({ Bucket: 'audio-test', Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  }
  const part = await s3.send(new GetObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/c.wav', Range: 'bytes=299990-300500' }));
  expect(part.ContentRange).toBe('bytes 299990-299999/300000');
  expect(Buffer.from(await part.Body!.transformToByteArray()).equals(big.subarray(299_990))).toBe(true);
  await expect(s3.send(new GetObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/a.wav', Range: 'bytes=5000-5001' }))).rejects.toMatchObject({
    name: 'InvalidRange',
    $metadata: { httpStatusCode: 416 },
  });

  const list = await s3.send(new ListObjectsV2Command({ Bucket: 'audio-test', Prefix: 'c1/', MaxKeys: 2 }));
  expect(list.Contents!.map((o) => o.Key)).toEqual(['c1/2026/11/a.wav', 'c1/2026/11/b.wav']);
  const rest = await s3.send(new ListObjectsV2Command({ Bucket: 'audio-test', Prefix: 'c1/', ContinuationToken: list.NextContinuationToken }));
  expect(rest.Contents!.map((o) => o.Key)).toEqual(['c1/2026/11/c.wav']);

  await s3.send(new DeleteObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/a.wav' }));
  await expect(s3.send(new HeadObjectCommand({ Bucket: 'audio-test', Key: 'c1/2026/11/a.wav' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
});

it('refuses a wrong secret (SignatureDoesNotMatch), an unknown key id and anonymous requests with 403; nothing is stored', async () => {
  const wrong = client('not-the-secret');
  await expect(wrong.send(new PutObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'x.wav', Body: Buffer.from('x') }))).rejects.toMatchObject({
    name: 'SignatureDoesNotMatch',
    $metadata: { httpStatusCode: 403 },
  });
  await expect(client(S3_SIM_SECRET_ACCESS_KEY, 'AKIANOBODY0000000000').send(new GetObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'x.wav' }))).rejects.toMatchObject({
    name: 'InvalidAccessKeyId',
    $metadata: { httpStatusCode: 403 },
  });
  const anonymous = await fetch(`${sim.url}/${S3_SIM_DEFAULT_BUCKET}/x.wav`, { method: 'PUT', body: 'x' });
  expect(anonymous.status).toBe(403);
  expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  expect(sim.state.buckets.get(S3_SIM_DEFAULT_BUCKET)!.objects.size).toBe(0);
  wrong.destroy();
});

it('a signature made for other bytes, path or time does not pass', async () => {
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const scope = `${amzDate.slice(0, 8)}/${S3_SIM_REGION}/s3/aws4_request`;
  const host = new URL(sim.url).host;
  const body = Buffer.from('hello');
  const sign = (rawPath: string, payloadHash: string, date = amzDate) => {
    const headers = { host, 'x-amz-date': date, 'x-amz-content-sha256': payloadHash };
    const signature = signatureV4({ secret: S3_SIM_SECRET_ACCESS_KEY, method: 'PUT', rawPath, rawQuery: '', headers, signedHeaders: ['host', 'x-amz-content-sha256', 'x-amz-date'], payloadHash, amzDate: date, scope: `${date.slice(0, 8)}/${S3_SIM_REGION}/s3/aws4_request` });
    return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${S3_SIM_ACCESS_KEY_ID}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}` };
  };
  const hash = createHash('sha256').update(body).digest('hex');
  const path = `/${S3_SIM_DEFAULT_BUCKET}/hand.txt`;
  expect((await fetch(`${sim.url}${path}`, { method: 'PUT', headers: sign(path, hash), body })).status).toBe(200);
  // Signed for another key → 403; signed hash of other bytes → 400 XAmzContentSHA256Mismatch.
  const other = await fetch(`${sim.url}/${S3_SIM_DEFAULT_BUCKET}/other.txt`, { method: 'PUT', headers: sign(path, hash), body });
  expect([other.status, await other.text()]).toEqual([403, expect.stringContaining('<Code>SignatureDoesNotMatch</Code>')]);
  const tampered = await fetch(`${sim.url}${path}`, { method: 'PUT', headers: sign(path, hash), body: 'HELLO' });
  expect([tampered.status, await tampered.text()]).toEqual([400, expect.stringContaining('<Code>XAmzContentSHA256Mismatch</Code>')]);
  // An old but correctly signed request (replay) → 403 RequestTimeTooSkewed.
  const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const replay = await fetch(`${sim.url}${path}`, { method: 'PUT', headers: sign(path, hash, old), body });
  expect([replay.status, await replay.text()]).toEqual([403, expect.stringContaining('<Code>RequestTimeTooSkewed</Code>')]);
  expect([...sim.state.buckets.get(S3_SIM_DEFAULT_BUCKET)!.objects.keys()]).toEqual(['hand.txt']);
});

it('verifies the checksum the writer sends (BadDigest) and answers NoSuchKey / NoSuchBucket in S3 XML', async () => {
  const body = bytes(2000);
  const wrongSha = createHash('sha256').update('other').digest('base64');
  await expect(s3.send(new PutObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'bad.wav', Body: body, ChecksumSHA256: wrongSha }))).rejects.toMatchObject({
    name: 'BadDigest',
    $metadata: { httpStatusCode: 400 },
  });
  await expect(s3.send(new PutObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'bad.wav', Body: body, ContentMD5: createHash('md5').update('x').digest('base64') }))).rejects.toMatchObject({
    name: 'BadDigest',
  });
  expect(sim.state.buckets.get(S3_SIM_DEFAULT_BUCKET)!.objects.has('bad.wav')).toBe(false);

  await expect(s3.send(new GetObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'missing.wav' }))).rejects.toMatchObject({
    name: 'NoSuchKey',
    $metadata: { httpStatusCode: 404 },
  });
  await expect(s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'a.wav' }))).rejects.toMatchObject({ name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
  await expect(s3.send(new CreateBucketCommand({ Bucket: S3_SIM_DEFAULT_BUCKET }))).rejects.toMatchObject({ name: 'BucketAlreadyOwnedByYou', $metadata: { httpStatusCode: 409 } });

  // Outage: 503 with S3's ServiceUnavailable body, which the SDK reads as such.
  sim.setFault({ mode: 'down' });
  await expect(s3.send(new GetObjectCommand({ Bucket: S3_SIM_DEFAULT_BUCKET, Key: 'missing.wav' }))).rejects.toMatchObject({
    name: 'ServiceUnavailable',
    $metadata: { httpStatusCode: 503 },
  });
});
