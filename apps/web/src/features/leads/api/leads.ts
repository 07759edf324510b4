import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Lead, LeadStatus, Task, UpdateLeadBody } from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { updateListItem, useCursorList } from '../../../lib/cursor-list';
import { useCreate } from '../../../lib/use-create';
import { downloadCsv } from '../../../lib/download';
import { agentsKey, leadsKey, statsKey, tasksKey } from '../../../lib/query-keys';

export interface LeadFilters {
  q?: string;
  status?: LeadStatus;
  agentId?: string;
  importId?: string;
}
const leadListsKey = [...leadsKey, 'list'] as const;

export const useLeadList = (filters: LeadFilters) =>
  useCursorList<Lead>({
    queryKey: [...leadListsKey, filters],
    path: '/api/v1/leads',
    query: { ...filters },
    limit: 100,
  });

/** Status and notes show at once; a refusal puts the lead back as it was. */
export function useUpdateLead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateLeadBody }) =>
      api<Lead>(`/api/v1/leads/${id}`, { method: 'PATCH', body: patch }),
    onMutate: async ({ id, patch }) => ({
      restore: await updateListItem<Lead>(qc, leadListsKey, id, (l) => ({
        ...l,
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      })),
    }),
    onError: (_e, _v, context) => context?.restore(),
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: leadsKey }), qc.invalidateQueries({ queryKey: agentsKey })]),
  });
}

export function useFollowUp() {
  const qc = useQueryClient();
  return useCreate({
    create: (lead: Lead, idempotencyKey: string) =>
      api<Task>(`/api/v1/leads/${lead.id}/tasks`, { method: 'POST', body: {}, idempotencyKey }),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: tasksKey }), qc.invalidateQueries({ queryKey: statsKey })]),
  });
}

export const exportLeads = (filters: LeadFilters) =>
  downloadCsv('/api/v1/leads/export', { ...filters }, 'crewdesk-leads.csv');
