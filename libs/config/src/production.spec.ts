import { z } from 'zod';
import { ConfigError, parseConfig, serviceEnvSchema } from './config';
import { assertProductionReady, productionProblems } from './production';

const schema = serviceEnvSchema.extend({
  CALCOM_BASE_URL: z.url().default('http://127.0.0.1:4010'),
  STRIPE_API_BASE: z.url().default('http://127.0.0.1:4030'),
  APP_URL: z.url().optional(),
  PORTAL_URL: z.url().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
});
const variables = Object.keys(schema.shape);
const base = { PORT: '3000', DB_DATABASE: 'gateway', KAFKA_BROKERS: 'kafka:9092' };
const ready = {
  ...base,
  APP_ENV: 'production',
  CALCOM_BASE_URL: 'https://api.cal.com',
  STRIPE_API_BASE: 'https://api.stripe.com',
  APP_URL: 'https://receptionist.example.com',
  PORTAL_URL: 'https://portal.example.com',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  TRUST_PROXY: '10.0.0.0/8',
};
const problemsOf = (env: Record<string, string>, behindIngress = true) =>
  productionProblems(parseConfig(schema, env), variables, { behindIngress }).map((p) => p.variable).sort();

describe('production mode (APP_ENV=production)', () => {
  it('accepts real provider URLs, public URLs, webhook secrets and TRUST_PROXY', () => {
    expect(problemsOf(ready)).toEqual([]);
  });

  it('refuses the simulator defaults and loopback or simulator hosts, naming each variable', () => {
    const { CALCOM_BASE_URL: _c, ...withoutCalcom } = ready;
    expect(problemsOf({ ...withoutCalcom, STRIPE_API_BASE: 'http://simulators:4030' })).toEqual(['CALCOM_BASE_URL', 'STRIPE_API_BASE']);
  });

  it('refuses missing or local public URLs and missing webhook secrets', () => {
    const { APP_URL: _a, STRIPE_WEBHOOK_SECRET: _s, ...rest } = ready;
    expect(problemsOf({ ...rest, PORTAL_URL: 'http://localhost:3000' })).toEqual(['APP_URL', 'PORTAL_URL', 'STRIPE_WEBHOOK_SECRET']);
  });

  it('requires TRUST_PROXY only of a service behind an ingress', () => {
    const { TRUST_PROXY: _t, ...rest } = ready;
    expect(problemsOf(rest, true)).toEqual(['TRUST_PROXY']);
    expect(problemsOf(rest, false)).toEqual([]);
  });

  it('checks nothing outside production, and throws a ConfigError whose message names the variables', () => {
    expect(problemsOf({ ...base, APP_ENV: 'staging' })).toEqual([]);
    const config = parseConfig(schema, { ...base, APP_ENV: 'production' });
    expect(() => assertProductionReady(config, variables, { behindIngress: true })).toThrow(ConfigError);
    expect(() => assertProductionReady(config, variables, { behindIngress: true })).toThrow(/CALCOM_BASE_URL[\s\S]*APP_URL[\s\S]*TRUST_PROXY/);
  });
});
