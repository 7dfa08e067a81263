import { Counter, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

export const twilioRequestDuration = () =>
  getOrCreateMetric('twilio_request_duration_seconds', () =>
    new Histogram({
      name: 'twilio_request_duration_seconds',
      help: 'Twilio Messages API call duration, by HTTP status (or timeout, network)',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );

/** Messages handed to Twilio, by channel and kind. */
export const notificationsSent = () =>
  getOrCreateMetric('notification_messages_sent_total', () =>
    new Counter({ name: 'notification_messages_sent_total', help: 'Messages accepted by Twilio', labelNames: ['channel', 'kind'], registers: [registry] }),
  );

/** Messages that will not be sent: `permanent` (Twilio refused), `exhausted` (retries used up), `undelivered`. */
export const notificationsFailed = () =>
  getOrCreateMetric('notification_messages_failed_total', () =>
    new Counter({ name: 'notification_messages_failed_total', help: 'Messages that failed, by reason', labelNames: ['channel', 'kind', 'reason'], registers: [registry] }),
  );

/** Messages not sent on purpose: opted_out, quiet_hours (reminder would land after the start), cancelled. */
export const notificationsSkipped = () =>
  getOrCreateMetric('notification_messages_skipped_total', () =>
    new Counter({ name: 'notification_messages_skipped_total', help: 'Messages not sent on purpose, by reason', labelNames: ['kind', 'reason'], registers: [registry] }),
  );

export const notificationRetries = () =>
  getOrCreateMetric('notification_send_retries_total', () =>
    new Counter({ name: 'notification_send_retries_total', help: 'Transient Twilio failures scheduled for another attempt', registers: [registry] }),
  );

/** Booking events refused (missing phone, impossible date): dead-lettered with the reason. */
export const notificationEventsRejected = () =>
  getOrCreateMetric('notification_events_rejected_total', () =>
    new Counter({ name: 'notification_events_rejected_total', help: 'Booking events that could not become messages', labelNames: ['topic', 'reason'], registers: [registry] }),
  );

/** Time from the booking event to the message handed to Twilio (confirmations and changes only). */
export const notificationEventToSend = () =>
  getOrCreateMetric('notification_event_to_send_seconds', () =>
    new Histogram({
      name: 'notification_event_to_send_seconds',
      help: 'Delay from a booking event to its message accepted by Twilio',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  );

export const emailRequestDuration = () =>
  getOrCreateMetric('smtp_request_duration_seconds', () =>
    new Histogram({
      name: 'smtp_request_duration_seconds',
      help: 'SMTP send duration, by outcome (accepted, the SMTP reply code, or network)',
      labelNames: ['status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );
