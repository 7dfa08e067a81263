import type { Provider } from '@nestjs/common';
import type { Logger } from 'pino';
import { CircuitState } from 'cockatiel';
import { LOGGER, MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { checkAudioStorageConfig, type VoiceAgentEnv } from '../../config';
import { LocalAudioStorage, type AudioStorage } from './audio-storage';
import { S3AudioStorage } from './s3-audio-storage';

export const AUDIO_STORAGE = Symbol('AUDIO_STORAGE');

/** S3 storage whose client is closed with the application. */
class ManagedS3AudioStorage extends S3AudioStorage {
  onApplicationShutdown() {
    this.close();
  }
}

/**
 * The configured audio storage (`AUDIO_STORAGE_DRIVER`): local disk under `AUDIO_LOCAL_DIR` by default, or an S3
 * bucket. A bad combination of variables stops the start with a ConfigError naming them (never their values).
 */
export const audioStorageProvider: Provider = {
  provide: AUDIO_STORAGE,
  inject: [SERVICE_CONFIG, LOGGER, MessagingRuntime],
  useFactory: (config: VoiceAgentEnv, logger: Logger, runtime: MessagingRuntime): AudioStorage => {
    checkAudioStorageConfig(config);
    if (config.AUDIO_STORAGE_DRIVER !== 's3') return new LocalAudioStorage(config.AUDIO_LOCAL_DIR);
    const storage = new ManagedS3AudioStorage({
      bucket: config.AUDIO_S3_BUCKET!,
      endpoint: config.AUDIO_S3_ENDPOINT,
      region: config.AUDIO_S3_REGION,
      accessKeyId: config.AUDIO_S3_ACCESS_KEY_ID,
      secretAccessKey: config.AUDIO_S3_SECRET_ACCESS_KEY,
      prefix: config.AUDIO_S3_PREFIX,
      timeoutMs: config.AUDIO_S3_TIMEOUT_MS,
      breakerResetMs: config.AUDIO_S3_BREAKER_RESET_MS,
    });
    // S3 being away at start must not stop the service (recordings wait as pending); a wrong bucket or key is logged
    // and shown in the heartbeat (informational: restarting voice-agent does not cure an outside store).
    let bucket = 'not checked yet';
    const states: Record<string, string> = { [CircuitState.Closed]: 'closed', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Open]: 'open', [CircuitState.Isolated]: 'isolated' };
    runtime.registerCheck('audio.s3', () => ({ ok: storage.breakerState === CircuitState.Closed, detail: `breaker ${states[storage.breakerState]}; bucket at start: ${bucket}` }));
    void storage.check().then((r) => {
      bucket = r.ok ? 'reachable' : (r.reason ?? 'not usable');
      // The endpoint's origin only: a URL may carry user:password.
      const where = { bucket: config.AUDIO_S3_BUCKET, endpoint: config.AUDIO_S3_ENDPOINT ? new URL(config.AUDIO_S3_ENDPOINT).origin : 'aws', region: config.AUDIO_S3_REGION };
      if (r.ok) logger.info(where, 'audio storage: S3 bucket reachable');
      else logger.warn({ ...where, reason: r.reason }, 'audio storage: S3 bucket not usable yet; recordings stay pending until it is');
    });
    return storage;
  },
};
