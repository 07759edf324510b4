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

/**
 * Equal shares of `count` leads over the agents; the remainder goes one each to the agents holding
 * the fewest open leads, ties broken by id so the same input always gives the same plan. Shares
 * therefore differ by at most one, and the agents' loads move towards each other.
 */
export function planShares(count: number, agents: readonly AgentLoad[]): Share[] {
  if (agents.length === 0) return [];
  const byId = [...agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const base = Math.floor(count / byId.length);
  const remainder = count % byId.length;
  const extra = new Set(
    [...byId]
      .sort((a, b) => a.openLeads - b.openLeads || (a.id < b.id ? -1 : 1))
      .slice(0, remainder)
      .map((a) => a.id),
  );
  return byId.map((a) => ({ agentId: a.id, agentName: a.name, count: base + (extra.has(a.id) ? 1 : 0) }));
}

/**
 * Deals the items out round-robin until each agent's share is full, so every agent gets a mix of
 * the file rather than one contiguous block. Returns the agent id for each item, in item order.
 */
export function dealOut(itemCount: number, shares: readonly Share[]): string[] {
  const remaining = shares.map((s) => ({ id: s.agentId, left: s.count }));
  const total = Math.min(
    itemCount,
    remaining.reduce((n, s) => n + s.left, 0),
  );
  const out: string[] = [];
  for (let i = 0; out.length < total; i = (i + 1) % remaining.length) {
    const slot = remaining[i]!;
    if (slot.left > 0) {
      out.push(slot.id);
      slot.left--;
    }
  }
  return out;
}
