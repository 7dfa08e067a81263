import type { GatewayEnv } from '../config';

/**
 * Where a team member's one-time links point: the console's pages (`CONSOLE_URL`, default `<APP_URL>/console`).
 * The secret is in the fragment, so it never reaches a server's access log when the link is opened.
 */
export function consoleLink(config: Pick<GatewayEnv, 'CONSOLE_URL' | 'APP_URL'>, page: 'accept-invitation' | 'reset-password', token: string): string {
  const base = (config.CONSOLE_URL ?? `${(config.APP_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')}/console`).replace(/\/+$/, '');
  return `${base}/${page}#token=${encodeURIComponent(token)}`;
}
