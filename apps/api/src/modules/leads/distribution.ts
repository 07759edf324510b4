/** An agent as distribution sees them: who, and how many open leads they already hold. */
export interface AgentLoad {
  id: string;
  name: string;
  openLeads: number;
}

export interface Share {
  agentId: string;
  agentName: string;
  count: number;
}

const byId = (a: AgentLoad, b: AgentLoad) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** Fewest open leads first, ties broken by id, so the same input always gives the same order. */
const dealingOrder = (agents: readonly AgentLoad[]) =>
  [...agents].sort((a, b) => a.openLeads - b.openLeads || byId(a, b));

/**
 * Equal shares of `count` leads over the agents; the remainder goes one each to the agents holding
 * the fewest open leads, ties broken by id. Shares therefore differ by at most one, and the agents'
 * loads move towards each other. Listed by agent id.
 */
export function planShares(count: number, agents: readonly AgentLoad[]): Share[] {
  if (agents.length === 0) return [];
  const base = Math.floor(count / agents.length);
  const extra = new Set(
    dealingOrder(agents)
      .slice(0, count % agents.length)
      .map((a) => a.id),
  );
  return [...agents]
    .sort(byId)
    .map((a) => ({ agentId: a.id, agentName: a.name, count: base + (extra.has(a.id) ? 1 : 0) }));
}

/**
 * Deals leads out one at a time, round-robin in the dealing order, so every agent gets a mix of the
 * file rather than one block, and an owner can be chosen before the number of leads is known (an
 * import writes its first leads while later rows are still being checked). After n leads the
 * tallies are exactly `planShares(n, agents)`.
 */
export class Dealer {
  private readonly order: AgentLoad[];
  private readonly tally: number[];
  private dealt = 0;

  constructor(agents: readonly AgentLoad[]) {
    if (agents.length === 0) throw new Error('Dealer needs at least one agent');
    this.order = dealingOrder(agents);
    this.tally = this.order.map(() => 0);
  }

  /** The agent id for the next lead. */
  next(): string {
    const slot = this.dealt++ % this.order.length;
    this.tally[slot]!++;
    return this.order[slot]!.id;
  }

  /** What has been dealt so far, by agent id. */
  shares(): Share[] {
    return this.order
      .map((a, i) => ({ agentId: a.id, agentName: a.name, count: this.tally[i]! }))
      .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
  }
}

/** Deals `itemCount` leads at once: the agent id for each, in item order. */
export function dealOut(itemCount: number, agents: readonly AgentLoad[]): string[] {
  const dealer = new Dealer(agents);
  return Array.from({ length: itemCount }, () => dealer.next());
}
