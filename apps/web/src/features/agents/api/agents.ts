import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Agent, CreateAgentBody, UpdateAgentBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { agentsKey, leadsKey } from '../../../lib/query-keys';

type AgentPage = { items: Agent[]; nextCursor: string | null };

export function useAgents(filters: { q?: string; active?: boolean } = {}) {
  return useInfiniteQuery({
    queryKey: [...agentsKey, 'list', filters],
    queryFn: ({ pageParam, signal }) =>
      api<AgentPage>('/api/v1/agents', { query: { ...filters, limit: 100, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** Every active agent, for pickers (distribution, reassignment). */
export function useActiveAgents(enabled = true) {
  return useQuery({
    queryKey: [...agentsKey, 'active'],
    enabled,
    queryFn: async () => {
      const all: Agent[] = [];
      let cursor: string | null = null;
      do {
        const page: AgentPage = await api<AgentPage>('/api/v1/agents', { query: { active: true, limit: 100, cursor } });
        all.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return all.sort((a, b) => a.name.localeCompare(b.name));
    },
  });
}

export function useCreateAgent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateAgentBody) => api<Agent>('/api/v1/agents', { method: 'POST', body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: agentsKey }),
  });
}

export function useUpdateAgent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateAgentBody }) =>
      api<Agent>(`/api/v1/agents/${id}`, { method: 'PATCH', body: patch }),
    onSuccess: () => qc.invalidateQueries({ queryKey: agentsKey }),
  });
}

export function useRedistribute() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { fromAgentId: string; toAgentIds?: string[] }) =>
      api<{ moved: number; distribution: { agentId: string; agentName: string; count: number }[] }>(
        '/api/v1/leads/redistribute',
        { method: 'POST', body },
      ),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: agentsKey }), qc.invalidateQueries({ queryKey: leadsKey })]),
  });
}
