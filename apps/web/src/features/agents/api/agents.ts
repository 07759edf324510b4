import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Agent, CreateAgentBody, UpdateAgentBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { fetchAllPages, useCursorList } from '../../../lib/cursor-list';
import { useCreate } from '../../../lib/use-create';
import { agentsKey, leadsKey } from '../../../lib/query-keys';

export const useAgents = (filters: { q?: string; active?: boolean } = {}) =>
  useCursorList<Agent>({
    queryKey: [...agentsKey, 'list', filters],
    path: '/api/v1/agents',
    query: filters,
    limit: 100,
  });

/** Every active agent, for pickers (distribution, reassignment). */
export const useActiveAgents = (enabled = true) =>
  useQuery({
    queryKey: [...agentsKey, 'active'],
    enabled,
    queryFn: async () =>
      (await fetchAllPages<Agent>('/api/v1/agents', { active: true }, 100)).sort((a, b) =>
        a.name.localeCompare(b.name),
      ),
  });

export function useCreateAgent() {
  const qc = useQueryClient();
  return useCreate({
    create: (body: CreateAgentBody, idempotencyKey: string) =>
      api<Agent>('/api/v1/agents', { method: 'POST', body, idempotencyKey }),
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
    mutationFn: (body: { fromAgentId: string; toAgentIds?: string[]; dryRun?: boolean }) =>
      api<{ moved: number; distribution: { agentId: string; agentName: string; count: number }[] }>(
        '/api/v1/leads/redistribute',
        { method: 'POST', body },
      ),
    onSuccess: (_r, body) =>
      body.dryRun
        ? undefined
        : Promise.all([qc.invalidateQueries({ queryKey: agentsKey }), qc.invalidateQueries({ queryKey: leadsKey })]),
  });
}

/** Who would get how many of an agent's open leads, before anything moves (a redistribution dry run). */
export const useRedistributionPlan = (fromAgentId: string | null) =>
  useQuery({
    queryKey: ['redistribution-plan', fromAgentId],
    enabled: fromAgentId !== null,
    staleTime: 0,
    gcTime: 0,
    queryFn: () =>
      api<{ moved: number; distribution: { agentId: string; agentName: string; count: number }[] }>(
        '/api/v1/leads/redistribute',
        { method: 'POST', body: { fromAgentId, dryRun: true } },
      ),
  });
