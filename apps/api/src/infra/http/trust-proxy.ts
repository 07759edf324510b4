import { BlockList, isIP } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../../config.js';

/** Where a gateway in front of the API lives: loopback, link-local and private (RFC 1918, ULA) networks. */
const PRIVATE_NETWORKS = new BlockList();
for (const [network, prefix, family] of [
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
] as const) {
  PRIVATE_NETWORKS.addSubnet(network, prefix, family);
}

const isPrivate = (address: string) => {
  const family = isIP(address);
  return family !== 0 && PRIVATE_NETWORKS.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/**
 * Fastify's `trustProxy` for TRUST_PROXY. A list of addresses/CIDRs goes to proxy-addr as it is.
 * A hop count believes the last N X-Forwarded-For hops, but only when the connection itself comes
 * from a private or loopback address: Fastify 5.12 refuses bare hop counts because a client that
 * reaches the API directly could otherwise write its own address, and this keeps that refusal for
 * anyone connecting from outside the gateway's network.
 */
export function trustProxyOption(trust: Config['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (trust === false) return false;
  if (typeof trust !== 'number') return trust;
  return (address: string, hop: number) => hop < trust && (hop > 0 || isPrivate(address));
}
