import { describe, expect, it } from 'vitest';
import { trustProxyOption } from './trust-proxy.js';

describe('trustProxyOption', () => {
  it('passes false and address lists through to Fastify', () => {
    expect(trustProxyOption(false)).toBe(false);
    expect(trustProxyOption(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
  });

  it('a hop count believes the last N hops, and only from a loopback or private peer', () => {
    const trust = trustProxyOption(1) as (address: string, hop: number) => boolean;
    for (const peer of ['127.0.0.1', '10.0.0.2', '172.20.0.5', '192.168.1.1', '::1', 'fd00::5', '::ffff:10.0.0.2'])
      expect(trust(peer, 0), peer).toBe(true);
    for (const peer of ['203.0.113.5', '2001:db8::1', '::ffff:203.0.113.5', '172.32.0.1'])
      expect(trust(peer, 0), peer).toBe(false);
    expect(trust('203.0.113.5', 1)).toBe(false);
    const two = trustProxyOption(2) as (address: string, hop: number) => boolean;
    expect(two('10.0.0.2', 0) && two('10.1.1.1', 1)).toBe(true);
    expect(two('198.51.100.1', 2)).toBe(false);
  });
});
