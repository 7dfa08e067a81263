import { Counter, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Function names the agent called that we do not know (after normalisation). Not labelled by name: unbounded. */
export const unknownFunctionCalls = () =>
  getOrCreateMetric('voice_unknown_function_calls_total', () =>
    new Counter({
      name: 'voice_unknown_function_calls_total',
      help: 'Voice function calls with a function name voice-agent does not know',
      registers: [registry],
    }),
  );

/** Answered voice functions by (normalised) function and outcome code (`ok` when there is none). */
export const voiceFunctionDuration = () =>
  getOrCreateMetric('voice_function_duration_seconds', () =>
    new Histogram({
      name: 'voice_function_duration_seconds',
      help: 'Time voice-agent takes to answer a voice function, by function and outcome code',
      labelNames: ['function', 'outcome'],
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );
