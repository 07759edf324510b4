import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import type {
  Lead,
  LeadNote,
  LeadSort,
  LeadStatus,
  ReassignLeadsBody,
  ReassignLeadsResult,
  Task,
  UpdateLeadBody,
} from '@crewdesk/contracts';
import { api } from '../../../lib/api';
import { updateListItem } from '../../../lib/cursor-list';
import { downloadCsv } from '../../../lib/download';
import { useCreate } from '../../../lib/use-create';
import { agentsKey, leadsKey, statsKey, tasksKey } from '../../../lib/query-keys';

export interface LeadFilters {
  q?: string;
  status?: LeadStatus;
  agentId?: string;
  importId?: string;
}
const leadListsKey = [...leadsKey, 'list'] as const;
const leadKey = (id: string) => [...leadsKey, 'one', id] as const;

interface LeadPage {
  items: Lead[];
  nextCursor: string | null;
  total: number;
}
const flatten = (data: InfiniteData<LeadPage, string | null>) => ({
  items: data.pages.flatMap((p) => p.items),
  total: data.pages[0]?.total ?? 0,
});

/** The leads the filters match, a page at a time, in the server's order (`sort`), with the total. */
export function useLeadList(filters: LeadFilters, sort?: LeadSort) {
  return useInfiniteQuery({
    queryKey: [...leadListsKey, filters, sort ?? null],
    queryFn: ({ pageParam, signal }) =>
      api<LeadPage>('/api/v1/leads', { query: { ...filters, sort, limit: 100, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    select: flatten,
  });
}

export const useLead = (id: string | null) =>
  useQuery({
    queryKey: leadKey(id ?? ''),
    enabled: id !== null,
    queryFn: ({ signal }) => api<Lead>(`/api/v1/leads/${id}`, { signal }),
  });

export const useLeadNotes = (id: string) =>
  useQuery({
    queryKey: [...leadKey(id), 'notes'],
    queryFn: async ({ signal }) => (await api<{ items: LeadNote[] }>(`/api/v1/leads/${id}/notes`, { signal })).items,
  });

export const useLeadFollowUps = (id: string) =>
  useQuery({
    queryKey: [...tasksKey, 'lead', id],
    queryFn: async ({ signal }) => (await api<{ items: Task[] }>(`/api/v1/leads/${id}/tasks`, { signal })).items,
  });

/** Status shows at once; a refusal puts the lead back as it was. */
export function useUpdateLead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: UpdateLeadBody }) =>
      api<Lead>(`/api/v1/leads/${id}`, { method: 'PATCH', body: patch }),
    onMutate: async ({ id, patch }) => ({
      restore: await updateListItem<Lead>(qc, leadListsKey, id, (l) => ({
        ...l,
        ...(patch.status ? { status: patch.status } : {}),
      })),
    }),
    onError: (_e, _v, context) => context?.restore(),
    onSettled: () =>
      Promise.all([qc.invalidateQueries({ queryKey: leadsKey }), qc.invalidateQueries({ queryKey: agentsKey })]),
  });
}

/**
 * Adds a note to the lead's timeline (it becomes the latest note the list shows). A create: one
 * Idempotency-Key per note, kept when it is sent again after a dropped connection.
 */
export function useAddNote(leadId: string) {
  const qc = useQueryClient();
  return useCreate({
    create: (body: string, idempotencyKey: string) =>
      api<LeadNote>(`/api/v1/leads/${leadId}/notes`, { method: 'POST', body: { body }, idempotencyKey }),
    onSuccess: () => qc.invalidateQueries({ queryKey: leadsKey }),
  });
}

/** A follow-up task linked to the lead, due when the agent chose. */
export function useFollowUp() {
  const qc = useQueryClient();
  return useCreate({
    create: ({ leadId, dueDate }: { leadId: string; dueDate: string | null }, idempotencyKey: string) =>
      api<Task>(`/api/v1/leads/${leadId}/tasks`, { method: 'POST', body: { dueDate }, idempotencyKey }),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: tasksKey }), qc.invalidateQueries({ queryKey: statsKey })]),
  });
}

/**
 * Moves many leads in one call (all or none); the answer says who held them, for Undo. Sent again
 * after a dropped connection with the same Idempotency-Key, so the answer is the first move's
 * (a second move would report the new holders as "previous" and break Undo).
 */
export function useReassign() {
  const qc = useQueryClient();
  return useCreate({
    create: (body: ReassignLeadsBody, idempotencyKey: string) =>
      api<ReassignLeadsResult>('/api/v1/leads/reassign', { method: 'POST', body, idempotencyKey }),
    onSuccess: () =>
      Promise.all([qc.invalidateQueries({ queryKey: leadsKey }), qc.invalidateQueries({ queryKey: agentsKey })]),
  });
}

export const exportLeads = (filters: LeadFilters) =>
  downloadCsv('/api/v1/leads/export', { ...filters }, 'crewdesk-leads.csv');
