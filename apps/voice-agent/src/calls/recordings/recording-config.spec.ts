import { ConfigError, parseConfig } from '@receptionist/config';
import { checkAudioStorageConfig, parseHostAllowList, recordingUrlAllowed, voice_agentEnvSchema, type VoiceAgentEnv } from '../../config';
import { refuseRecordingUrl } from '../call-records.service';
import { isTransientS3Error } from './s3-audio-storage';

const env = (vars: Record<string, string>): VoiceAgentEnv => parseConfig(voice_agentEnvSchema, vars);
const problems = (vars: Record<string, string>) => {
  try {
    checkAudioStorageConfig(env(vars));
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
};

describe('audio storage configuration', () => {
  it('local needs nothing; s3 needs a bucket, and keys come in pairs (named, values never shown)', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ AUDIO_STORAGE_DRIVER: 's3' })).toEqual([{ variable: 'AUDIO_S3_BUCKET', message: 'is required when AUDIO_STORAGE_DRIVER=s3' }]);
    expect(problems({ AUDIO_STORAGE_DRIVER: 's3', AUDIO_S3_BUCKET: 'recordings' })).toEqual([]); // the SDK's default chain
    const half = problems({ AUDIO_STORAGE_DRIVER: 's3', AUDIO_S3_BUCKET: 'recordings', AUDIO_S3_ACCESS_KEY_ID: 'AKIASECRETVALUE' });
    expect(half).toEqual([{ variable: 'AUDIO_S3_SECRET_ACCESS_KEY', message: 'is required when AUDIO_S3_ACCESS_KEY_ID is set' }]);
    expect(JSON.stringify(half)).not.toContain('AKIASECRETVALUE');
    expect(problems({ AUDIO_STORAGE_DRIVER: 's3', AUDIO_S3_BUCKET: 'recordings', AUDIO_S3_SECRET_ACCESS_KEY: 'x' })).toEqual([
      { variable: 'AUDIO_S3_ACCESS_KEY_ID', message: 'is required when AUDIO_S3_SECRET_ACCESS_KEY is set' },
    ]);
    expect(env({}).AUDIO_S3_REGION).toBe('us-east-1');
    expect(() => env({ AUDIO_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/AUDIO_S3_BUCKET: must be an S3 bucket name/);
    expect(() => env({ AUDIO_S3_PREFIX: 'recordings' })).toThrow(/AUDIO_S3_PREFIX/);
    expect(problems({ RECORDING_URL_HOSTS: 'ok.example.com, https://nope.example.com' })).toEqual([
      { variable: 'RECORDING_URL_HOSTS', message: expect.stringContaining('"https://nope.example.com"') },
    ]);
  });

  it('S3 errors worth a retry: no answer, 5xx, 429; not 4xx', () => {
    expect(isTransientS3Error(new Error('ECONNREFUSED'))).toBe(true);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isTransientS3Error({ $metadata: { httpStatusCode: 404 } })).toBe(false);
  });
});

describe('recording URL allow-list', () => {
  const defaults = parseHostAllowList(env({}).RECORDING_URL_HOSTS);
  const allowed = (url: string, list = defaults) => recordingUrlAllowed(new URL(url), list);

  it("allows Retell's recording hosts over https only, on the default port", () => {
    expect(allowed('https://dxc03zgurdly9.cloudfront.net/abc/recording.wav')).toBe(true);
    expect(allowed('https://storage.retellai.com/x.wav')).toBe(true);
    expect(allowed('http://dxc03zgurdly9.cloudfront.net/abc/recording.wav')).toBe(false);
    expect(allowed('https://dxc03zgurdly9.cloudfront.net:8443/abc/recording.wav')).toBe(false);
    expect(allowed('https://retellai.com/x.wav')).toBe(false); // *.domain is sub-domains only
    expect(allowed('https://evilretellai.com/x.wav')).toBe(false);
    expect(allowed('https://retellai.com.evil.example/x.wav')).toBe(false);
    expect(allowed('https://other.cloudfront.net/x.wav')).toBe(false);
    expect(allowed('https://user:pw@dxc03zgurdly9.cloudfront.net/x.wav')).toBe(false);
  });

  it('refuses the classic SSRF targets and other schemes', () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://127.0.0.1:3306/', 'http://localhost/', 'http://[::1]/', 'file:///etc/passwd', 'ftp://dxc03zgurdly9.cloudfront.net/x']) {
      expect([url, allowed(url)]).toEqual([url, false]);
    }
  });

  it('an explicit http:// entry allows plain http to that host (any port unless one is given)', () => {
    const local = parseHostAllowList('http://127.0.0.1, http://simulators:4020');
    expect(allowed('http://127.0.0.1:45123/recordings/a.wav', local)).toBe(true);
    expect(allowed('http://simulators:4020/recordings/a.wav', local)).toBe(true);
    expect(allowed('http://simulators:4021/recordings/a.wav', local)).toBe(false);
    expect(allowed('http://localhost:45123/recordings/a.wav', local)).toBe(false);
  });

  it('names the refused origin, never the path or query (signed URLs carry tokens)', () => {
    expect(refuseRecordingUrl('https://evil.example.com/a.wav?X-Amz-Signature=secret', defaults)).toBe('recording URL refused: https://evil.example.com is not on RECORDING_URL_HOSTS');
    expect(refuseRecordingUrl('not a url', defaults)).toBe('recording URL refused: not a URL');
    expect(refuseRecordingUrl('https://dxc03zgurdly9.cloudfront.net/a/recording.wav', defaults)).toBeNull();
  });
});
