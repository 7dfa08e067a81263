import { ConfigError } from './config';

/** Base URLs of the outside APIs (Cal.com, Retell, Stripe, Twilio, Samedi, rates, translation, Firebase). */
const OUTSIDE_API = /(_BASE_URL|_API_BASE)$|^EXCHANGE_RATES_URL$/;
/** URLs callers and providers are sent to: the gateway's public URL (webhook signatures, Twilio), the portal. */
const PUBLIC_URL = /^(APP_URL|PORTAL_URL|BILLING_PORTAL_URL)$/;
/** Secrets that authenticate what providers send us: without one, anyone could post webhooks. */
const WEBHOOK_SECRET = /_WEBHOOK_SECRET$|^TWILIO_AUTH_TOKEN$/;
const LOOPBACK_OR_SIMULATOR = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0|simulators)$/i;

function localHost(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const host = new URL(value).hostname;
    return LOOPBACK_OR_SIMULATOR.test(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `APP_ENV=production` refuses, among the variables of one service's schema (`config` is the parsed
 * configuration, defaults applied): outside APIs on a simulator or loopback address (the defaults are the local
 * simulators), public URLs unset or local, webhook secrets unset, and for a service behind an ingress no
 * TRUST_PROXY (client addresses, hence IP rate limits, would all be the proxy's). Each problem names its variable.
 */
export function productionProblems(
  config: Record<string, unknown>,
  variables: string[],
  options: { behindIngress?: boolean } = {},
): { variable: string; message: string }[] {
  if (config.APP_ENV !== 'production') return [];
  const problems: { variable: string; message: string }[] = [];
  for (const variable of variables) {
    const value = config[variable];
    const unset = value === undefined || value === '';
    if (OUTSIDE_API.test(variable) && localHost(value)) {
      problems.push({ variable, message: `points at a simulator or loopback address (${localHost(value)}); set the provider's URL` });
    }
    if (PUBLIC_URL.test(variable)) {
      if (unset) problems.push({ variable, message: 'is required in production (the public URL)' });
      else if (localHost(value)) problems.push({ variable, message: `must be the public URL, not ${localHost(value)}` });
    }
    if (WEBHOOK_SECRET.test(variable) && unset) {
      problems.push({ variable, message: 'is required in production (signatures of incoming webhooks)' });
    }
  }
  if (options.behindIngress && variables.includes('TRUST_PROXY') && (config.TRUST_PROXY === undefined || config.TRUST_PROXY === '')) {
    problems.push({ variable: 'TRUST_PROXY', message: 'is required in production behind an ingress (the proxies that may set X-Forwarded-For)' });
  }
  return problems;
}

/** Throws a ConfigError naming every variable production refuses (see productionProblems). */
export function assertProductionReady(config: Record<string, unknown>, variables: string[], options: { behindIngress?: boolean } = {}): void {
  const problems = productionProblems(config, variables, options);
  if (problems.length) throw new ConfigError(problems);
}
