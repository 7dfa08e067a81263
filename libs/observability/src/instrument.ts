/**
 * OpenTelemetry start-up, loaded before anything else with `node --require …/instrument.js` so the
 * instrumentations can patch http, mysql2 and ioredis as they are first required.
 * Exports over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces variant) is set; otherwise spans are
 * created (trace ids still reach logs and Kafka headers) but not exported. OTEL_SDK_DISABLED=true turns it off.
 */
import { startTracing } from './sdk';

startTracing();
