import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Retell call webhooks applied to call records, by event and outcome (applied, duplicate, skipped). */
export const callWebhooksApplied = () =>
  getOrCreate('voice_call_webhooks_total', () =>
    new Counter({ name: 'voice_call_webhooks_total', help: 'Retell call webhooks voice-agent applied to call records', labelNames: ['event', 'outcome'], registers: [registry] }),
  );

/** Recording download attempts by outcome (stored, failed). */
export const recordingDownloads = () =>
  getOrCreate('voice_recording_downloads_total', () =>
    new Counter({ name: 'voice_recording_downloads_total', help: 'Recording download attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
  );

/** Call facts published (call.started, call.completed, call.analyzed). */
export const callFacts = () =>
  getOrCreate('voice_call_facts_total', () =>
    new Counter({ name: 'voice_call_facts_total', help: 'Call facts voice-agent published through the outbox', labelNames: ['fact'], registers: [registry] }),
  );

/** Talk time of completed calls in seconds (connected calls only; the call minutes on the overview). */
export const callTalkSeconds = () =>
  getOrCreate('voice_call_talk_seconds_total', () =>
    new Counter({ name: 'voice_call_talk_seconds_total', help: 'Talk time of completed calls, seconds', registers: [registry] }),
  );
