import { context, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

let sdk: NodeSDK | undefined;

export interface TracingOptions {
  serviceName?: string;
  /** Extra exporter (tests use an in-memory one). */
  exporter?: SpanExporter;
}

export function startTracing(options: TracingOptions = {}): NodeSDK | undefined {
  if (sdk || process.env.OTEL_SDK_DISABLED === 'true') return sdk;
  const serviceName = options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'receptionist';
  process.env.OTEL_SERVICE_NAME = serviceName;
  const processors: SpanProcessor[] = [];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  }
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  sdk = new NodeSDK({
    serviceName,
    spanProcessors: processors,
    // Kafka spans are made by libs/messaging (it links outbox rows and names spans per semconv),
    // so the kafkajs instrumentation stays off to avoid two spans per message.
    instrumentations: [
      getNodeAutoInstrumentations({
        '@opentelemetry/instrumentation-fs': { enabled: false },
        '@opentelemetry/instrumentation-dns': { enabled: false },
        '@opentelemetry/instrumentation-net': { enabled: false },
        '@opentelemetry/instrumentation-kafkajs': { enabled: false },
        '@opentelemetry/instrumentation-pino': { enabled: false },
      }),
    ],
  });
  sdk.start();
  return sdk;
}

/** Shuts the SDK down and unregisters its globals, so nothing of it outlives the caller (tests in one process). */
export async function stopTracing(): Promise<void> {
  if (!sdk) return;
  await sdk.shutdown();
  sdk = undefined;
  trace.disable();
  context.disable();
  propagation.disable();
}
