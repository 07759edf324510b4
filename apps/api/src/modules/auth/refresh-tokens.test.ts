import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CHAIN_STEPS, RefreshTokens } from './refresh-tokens.js';

const SID = '0190a000-0000-7000-8000-000000000001';

describe('RefreshTokens', () => {
  const tokens = new RefreshTokens(randomBytes(32));

  function chain(length: number) {
    const issued = [tokens.first(SID)];
    while (issued.length < length) issued.push(tokens.next(issued.at(-1)!.token));
    return issued;
  }

  it('every token names its session and has the shape <session id>.<43 base64url characters>', () => {
    for (const { token } of chain(3)) {
      expect(token).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
      expect(tokens.sessionIdOf(token)).toBe(SID);
    }
  });

  it('recognises how many rotations behind the current one any issued token is', () => {
    const issued = chain(6);
    const current = issued.at(-1)!.hash;
    issued.forEach(({ token }, i) => expect(tokens.rotationsBehind(token, current, 5)).toBe(5 - i));
  });

  it('does not recognise a guessed secret, a token of another key, or one further back than the rotation count', () => {
    const issued = chain(4);
    const current = issued.at(-1)!.hash;
    expect(tokens.rotationsBehind(`${SID}.${randomBytes(32).toString('base64url')}`, current, 3)).toBeNull();
    const other = new RefreshTokens(randomBytes(32));
    expect(other.rotationsBehind(issued[0]!.token, current, 3)).toBeNull();
    expect(tokens.rotationsBehind(issued[0]!.token, current, 2)).toBeNull();
  });

  it('walks at most MAX_CHAIN_STEPS back', () => {
    const first = tokens.first(SID);
    let current = first;
    for (let i = 0; i <= MAX_CHAIN_STEPS; i++) current = tokens.next(current.token);
    expect(tokens.rotationsBehind(first.token, current.hash, MAX_CHAIN_STEPS + 1)).toBeNull();
  });
});
