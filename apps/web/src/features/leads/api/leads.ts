import { useInfiniteQuery, useMutation, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import type { Lead, LeadStatus, Task, UpdateLeadBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { download } from '../../../lib/download';
import { agentsKey, leadsKey, statsKey, tasksKey } from '../../../lib/query-keys';

export interface LeadFilters {
  q?: string;
  status?: LeadStatus;
  agentId?: string;
  importId?: string;
}
type LeadPage = { items: Lead[]; nextCursor: string | null };

export function useLeadList(filters: LeadFilters) {
  return useInfiniteQuery({
    queryKey: [...leadsKey, 'list', filters],
    queryFn: ({ pageParam, signal }) =>
      api<LeadPage>('/api/v1/leads', { query: { ...filters, limit: 100, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** Status and notes show at once; a refusal puts the lead back as it was. */
export function useUpdateLead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateLeadBody }) =>
      api<Lead>(`/api/v1/leads/${id}`, { method: 'PATCH', body: patch }),
    onMutate: async ({ id, patch }) => {
      await qc.cancelQueries({ queryKey: leadsKey });
      const snapshot = qc.getQueriesData<InfiniteData<LeadPage>>({ queryKey: [...leadsKey, 'list'] });
      qc.setQueriesData<InfiniteData<LeadPage>>({ queryKey: [...leadsKey, 'list'] }, (data) =>
        data
          ? {
              ...data,
              pages: data.pages.map((p) => ({
                ...p,
                items: p.items.map((l) =>
                  l.id === id
                    ? {
                        ...l,
                        ...(patch.status ? { status: patch.status } : {}),
                        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
                      }
                    : l,
                ),
              })),
            }
          : data,
      );
      return { snapshot };
    },
    onError: (_e, _v, context) => {
      for (const [key, data] of context?.snapshot ?? []) qc.setQueryData(key, data);
    },
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: leadsKey }), qc.invalidateQueries({ queryKey: agentsKey })]),
  });
}

export function useFollowUp() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (lead: Lead) => api<Task>(`/api/v1/leads/${lead.id}/tasks`, { method: 'POST', body: {} }),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: tasksKey }), qc.invalidateQueries({ queryKey: statsKey })]),
  });
}

export const exportLeads = (filters: LeadFilters) =>
  download('/api/v1/leads/export', { ...filters }, 'crewdesk-leads.csv');
