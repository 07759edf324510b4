import { useMutation, useQuery } from '@tanstack/react-query';
import type { ColumnMapping, ImportReport, LeadImport } from '@crewdesk/contracts';
import { api, uploadForm } from '../../../lib/api';
import { importsKey } from '../../../lib/query-keys';

export interface LeadFileUpload {
  file: File;
  /** A check only: the report, nothing written. */
  dryRun: boolean;
  /** The agents to share among; all active agents when left out. */
  agentIds?: string[];
  /** What each column becomes, once the server has shown the columns. */
  mapping?: ColumnMapping;
  onProgress: (fraction: number) => void;
}

/** Sends a lead file, to check (dry run) or to import; the answer is the server's report. */
export const useUploadLeadFile = () =>
  useMutation({
    mutationFn: ({ file, dryRun, agentIds, mapping, onProgress }: LeadFileUpload) => {
      const form = new FormData();
      form.append('dryRun', String(dryRun));
      if (agentIds?.length) form.append('agentIds', agentIds.join(','));
      if (mapping) form.append('mapping', JSON.stringify(mapping));
      form.append('file', file, file.name);
      return uploadForm<ImportReport>('/api/v1/lead-imports', form, onProgress);
    },
    // As before it was a mutation: offline, the upload fails at once instead of waiting for the network.
    networkMode: 'always',
  });

/** Polls an import while it is being written, and stops once it has finished either way. */
export function useImportProgress(id: string | null) {
  return useQuery({
    queryKey: [...importsKey, id],
    enabled: id !== null,
    queryFn: () => api<LeadImport>(`/api/v1/lead-imports/${id}`),
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'processing' ? false : 500),
  });
}

export const recentImportsKey = [...importsKey, 'recent'] as const;

export const useRecentImports = () =>
  useQuery({
    queryKey: recentImportsKey,
    queryFn: () =>
      api<{ items: LeadImport[]; nextCursor: string | null }>('/api/v1/lead-imports', { query: { limit: 10 } }),
  });
