import type { Provider } from '@nestjs/common';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../../config';
import { LocalAudioStorage, type AudioStorage } from './audio-storage';

export const AUDIO_STORAGE = Symbol('AUDIO_STORAGE');

/** The configured audio storage (`AUDIO_STORAGE_DRIVER`): local disk under `AUDIO_LOCAL_DIR` by default. */
export const audioStorageProvider: Provider = {
  provide: AUDIO_STORAGE,
  inject: [SERVICE_CONFIG],
  useFactory: (config: VoiceAgentEnv): AudioStorage => {
    if (config.AUDIO_STORAGE_DRIVER === 's3') {
      throw new Error('AUDIO_STORAGE_DRIVER=s3 is not available in this build; use local');
    }
    return new LocalAudioStorage(config.AUDIO_LOCAL_DIR);
  },
};
