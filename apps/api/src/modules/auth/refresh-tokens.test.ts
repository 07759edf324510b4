import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CHAIN_STEPS, MAX_SWITCHED_CHAIN_STEPS, RefreshTokens } from './refresh-tokens.js';

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

  describe('across a rotation of the signing key', () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const before = new RefreshTokens(oldKey, [newKey]);
    const after = new RefreshTokens(newKey, [oldKey]);

    /** `old` rotations under the old key, then `fresh` under the new one. */
    function switched(old: number, fresh: number) {
      const issued = [before.first(SID)];
      for (let i = 0; i < old; i++) issued.push(before.next(issued.at(-1)!.token));
      for (let i = 0; i < fresh; i++) issued.push(after.next(issued.at(-1)!.token));
      return issued;
    }

    it('follows a chain of either key, and one that switched keys once, from either side', () => {
      const issued = switched(3, 3);
      const current = issued.at(-1)!.hash;
      for (const side of [before, after]) {
        issued.forEach(({ token }, i) => expect(side.rotationsBehind(token, current, 6)).toBe(6 - i));
      }
      const withoutOld = new RefreshTokens(newKey);
      expect(withoutOld.rotationsBehind(issued[0]!.token, current, 6), 'the old key is needed').toBeNull();
    });

    it(`follows a switched chain at most MAX_SWITCHED_CHAIN_STEPS (${MAX_SWITCHED_CHAIN_STEPS}) back`, () => {
      const within = switched(2, MAX_SWITCHED_CHAIN_STEPS - 2);
      expect(after.rotationsBehind(within[0]!.token, within.at(-1)!.hash, within.length)).toBe(
        MAX_SWITCHED_CHAIN_STEPS,
      );
      const beyond = switched(2, MAX_SWITCHED_CHAIN_STEPS - 1);
      expect(after.rotationsBehind(beyond[0]!.token, beyond.at(-1)!.hash, beyond.length)).toBeNull();
    });
  });
});
