import type { z } from 'zod';
import { productionProblems, serviceEnvSchema } from '@receptionist/config';
import { serviceSchema } from './env-example';

/**
 * What a service would say at start-up about an environment a deployment gives it (k8s overlay, compose):
 * variables required but not set, values its schema rejects, and (APP_ENV=production) what production mode
 * refuses. Values starting with `<` stand for secrets or references set elsewhere: present, not checked.
 */
export function startupProblems(service: string, env: Record<string, string | undefined>): string[] {
  const schema = serviceEnvSchema.extend(serviceSchema(service).shape);
  const fields = Object.entries(schema.shape) as [string, z.ZodType][];
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, field] of fields) {
    const value = env[name] === '' ? undefined : env[name];
    if (value === undefined && !field.safeParse(undefined).success) problems.push(`${name}: required but not set`);
    if (value !== undefined && !value.startsWith('<') && !field.safeParse(value).success) problems.push(`${name}=${value}: rejected`);
    config[name] = value?.startsWith('<') ? value : field.safeParse(value).data;
  }
  const refused = productionProblems(config, fields.map(([name]) => name), { behindIngress: service === 'gateway' });
  return [...problems, ...refused.map((p) => `${p.variable}: ${p.message}`)];
}
