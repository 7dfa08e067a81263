import { Counter } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Billing facts that changed whether a company's calls are taken (`applied=false`: an older fact arrived late). */
export const callAcceptanceChanges = () =>
  getOrCreateMetric('gateway_call_acceptance_changes_total', () =>
    new Counter({
      name: 'gateway_call_acceptance_changes_total',
      help: 'balance.exhausted / balance.restored and plan.suspended / plan.reinstated applied to the call-acceptance state, by resulting state',
      labelNames: ['state', 'applied'],
      registers: [registry],
    }),
  );

/** Inbound calls answered with the refusal (the agent says why and ends the call). */
export const inboundCallsRefused = () =>
  getOrCreateMetric('gateway_inbound_calls_refused_total', () =>
    new Counter({
      name: 'gateway_inbound_calls_refused_total',
      help: 'Inbound calls refused at the inbound webhook, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  );
