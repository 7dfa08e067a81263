import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A callback URL the platform refuses to call: `field: rule`, for a 400 naming the field. */
export class CallbackTargetRefused extends Error {}

/**
 * Where a tenant's URL must never lead (SSRF): loopback, private and shared networks, link-local (cloud metadata
 * at 169.254.169.254), multicast and reserved ranges, and their IPv6 forms: IPv4-mapped addresses (`::ffff:7f00:1`,
 * which BlockList checks against the IPv4 rules) and the prefixes that embed an IPv4 address.
 */
const internal = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  internal.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  // Prefixes that carry an IPv4 address inside (NAT64, 6to4): they could lead to any of the ranges above.
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const)
  internal.addSubnet(net, bits, 'ipv6');

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: never trusted
  return internal.check(address, 'ipv6');
}

/**
 * Checks a URL a company wants its events at: absolute https (http only where private targets are allowed, i.e. on a
 * laptop), no credentials in it, and, when it names an address literally, not an internal one. Host names are
 * checked again at every delivery (`resolveTarget`), because DNS may change.
 */
export function parseCallbackUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CallbackTargetRefused('url: must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw new CallbackTargetRefused('url: must use https');
  if (url.username || url.password) throw new CallbackTargetRefused('url: must not contain credentials');
  if (url.hash) throw new CallbackTargetRefused('url: must not contain a fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate) {
    if (isIP(host) && isInternalAddress(host)) throw new CallbackTargetRefused('url: must not point at a loopback, private or link-local address');
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
      throw new CallbackTargetRefused('url: must be a public host name');
    }
  }
  return url;
}

export interface ResolvedTarget {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host once and refuses it if any address is internal; the delivery then connects to exactly that
 * address (no second lookup a rebinding DNS server could answer differently).
 */
export async function resolveTarget(url: URL, allowPrivate: boolean): Promise<ResolvedTarget> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host);
  const addresses = literal ? [{ address: host, family: literal }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new CallbackTargetRefused(`url: ${host} does not resolve`);
  if (!allowPrivate && addresses.some((a) => isInternalAddress(a.address))) {
    throw new CallbackTargetRefused(`url: ${host} resolves to an internal address`);
  }
  return { address: addresses[0].address, family: addresses[0].family as 4 | 6 };
}
