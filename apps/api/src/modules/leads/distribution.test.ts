import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dealer, dealOut, planShares, type AgentLoad } from './distribution.js';

const agentsArb = fc
  .uniqueArray(fc.uuid(), { minLength: 1, maxLength: 25 })
  .chain((ids) =>
    fc.tuple(...ids.map((id) => fc.record({ id: fc.constant(id), name: fc.string(), openLeads: fc.nat(500) }))),
  ) as fc.Arbitrary<AgentLoad[]>;

describe('lead distribution', () => {
  it('assigns every lead exactly once and preserves the total', () => {
    fc.assert(
      fc.property(fc.nat(5000), agentsArb, (count, agents) => {
        const shares = planShares(count, agents);
        expect(shares.reduce((n, s) => n + s.count, 0)).toBe(count);
        const dealt = dealOut(count, agents);
        expect(dealt).toHaveLength(count);
        for (const s of shares) expect(dealt.filter((id) => id === s.agentId)).toHaveLength(s.count);
      }),
    );
  });

  it('keeps every share within one of every other', () => {
    fc.assert(
      fc.property(fc.nat(5000), agentsArb, (count, agents) => {
        const counts = planShares(count, agents).map((s) => s.count);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('gives the remainder to the agents with the fewest open leads', () => {
    fc.assert(
      fc.property(fc.nat(5000), agentsArb, (count, agents) => {
        const shares = planShares(count, agents);
        const load = new Map(agents.map((a) => [a.id, a.openLeads]));
        const more = shares.filter((s) => s.count > Math.floor(count / agents.length));
        const fewer = shares.filter((s) => s.count === Math.floor(count / agents.length));
        for (const m of more)
          for (const f of fewer) expect(load.get(m.agentId)!).toBeLessThanOrEqual(load.get(f.agentId)!);
      }),
    );
  });

  it('is deterministic for the same input, whatever order the agents arrive in', () => {
    fc.assert(
      fc.property(fc.nat(5000), agentsArb, (count, agents) => {
        const a = dealOut(count, agents);
        const b = dealOut(count, [...agents].reverse());
        expect(b).toEqual(a);
      }),
    );
  });

  it('stays fair at every point while dealing, so owners can be chosen before the total is known', () => {
    fc.assert(
      fc.property(fc.nat(2000), agentsArb, (count, agents) => {
        const dealer = new Dealer(agents);
        for (let n = 1; n <= count; n++) {
          dealer.next();
          if (n % 97 === 0 || n === count) expect(dealer.shares()).toEqual(planShares(n, agents));
        }
      }),
    );
  });

  it('splits 23 leads over 5 equally loaded agents as 5,5,5,4,4 by id', () => {
    const agents = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, name: id.toUpperCase(), openLeads: 0 }));
    expect(planShares(23, agents).map((s) => s.count)).toEqual([5, 5, 5, 4, 4]);
  });
});
