import { describe, expect, it } from 'vitest';
import { unsupportedNodeWarning } from './node-support.js';

describe('the Node.js line check the server makes at start', () => {
  it('warns on Node 20, naming its end of life and the supported lines 22 and 24', () => {
    const warning = unsupportedNodeWarning('20.19.5');
    expect(warning).toMatch(/Node\.js 20\.19\.5 reached end of life on 2026-04-30/);
    expect(warning).toMatch(/supports Node\.js 22 and 24 LTS/);
  });

  it('warns on anything older too, and on nothing from 22 on', () => {
    expect(unsupportedNodeWarning('18.20.0')).toMatch(/not supported/);
    expect(unsupportedNodeWarning('22.12.0')).toBeNull();
    expect(unsupportedNodeWarning('24.11.1')).toBeNull();
    expect(unsupportedNodeWarning('26.0.0')).toBeNull();
  });
});
