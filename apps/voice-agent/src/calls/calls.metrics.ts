import { Counter, Gauge, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Retell call webhooks applied to call records, by event and outcome (applied, duplicate, skipped). */
export const callWebhooksApplied = () =>
  getOrCreateMetric('voice_call_webhooks_total', () =>
    new Counter({ name: 'voice_call_webhooks_total', help: 'Retell call webhooks voice-agent applied to call records', labelNames: ['event', 'outcome'], registers: [registry] }),
  );

/** Recording download attempts by outcome (stored, failed, refused: the URL's host is not on RECORDING_URL_HOSTS). */
export const recordingDownloads = () =>
  getOrCreateMetric('voice_recording_downloads_total', () =>
    new Counter({ name: 'voice_recording_downloads_total', help: 'Recording download attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
  );

/** Call facts published (call.started, call.completed, call.analyzed). */
export const callFacts = () =>
  getOrCreateMetric('voice_call_facts_total', () =>
    new Counter({ name: 'voice_call_facts_total', help: 'Call facts voice-agent published through the outbox', labelNames: ['fact'], registers: [registry] }),
  );

/** Talk time of completed calls in seconds (connected calls only; the call minutes on the overview). */
export const callTalkSeconds = () =>
  getOrCreateMetric('voice_call_talk_seconds_total', () =>
    new Counter({ name: 'voice_call_talk_seconds_total', help: 'Talk time of completed calls, seconds', registers: [registry] }),
  );

/** Each S3 attempt of the audio storage (AUDIO_STORAGE_DRIVER=s3), by operation and outcome (ok, refused, unavailable). */
export const s3RequestDuration = () =>
  getOrCreateMetric('s3_request_duration_seconds', () =>
    new Histogram({
      name: 's3_request_duration_seconds',
      help: 'S3 audio storage requests (each attempt)',
      labelNames: ['operation', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  );

/** S3 operations that failed after retries, by reason (the S3 error code, network, circuit_open). */
export const s3Errors = () =>
  getOrCreateMetric('s3_request_errors_total', () =>
    new Counter({ name: 's3_request_errors_total', help: 'S3 audio storage operations that failed after retries', labelNames: ['operation', 'reason'], registers: [registry] }),
  );

/** 0 closed, 1 half-open, 2 open. */
export const s3BreakerState = () =>
  getOrCreateMetric('s3_circuit_breaker_state', () => new Gauge({ name: 's3_circuit_breaker_state', help: 'S3 audio storage circuit breaker (0 closed, 1 half-open, 2 open)', registers: [registry] }));
