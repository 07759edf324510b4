import { useQuery } from '@tanstack/react-query';
import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { api, uploadForm } from '../../../lib/api';
import { importsKey } from '../../../lib/query-keys';

export function uploadLeadFile(
  file: File,
  options: { dryRun: boolean; agentIds?: string[] },
  onProgress: (fraction: number) => void,
): Promise<ImportReport> {
  const form = new FormData();
  form.append('dryRun', String(options.dryRun));
  if (options.agentIds?.length) form.append('agentIds', options.agentIds.join(','));
  form.append('file', file, file.name);
  return uploadForm<ImportReport>('/api/v1/lead-imports', form, onProgress);
}

/** Polls an import while it is being written, and stops once it has finished either way. */
export function useImportProgress(id: string | null) {
  return useQuery({
    queryKey: [...importsKey, id],
    enabled: id !== null,
    queryFn: () => api<LeadImport>(`/api/v1/lead-imports/${id}`),
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'processing' ? false : 500),
  });
}

export const useRecentImports = () =>
  useQuery({
    queryKey: [...importsKey, 'recent'],
    queryFn: () =>
      api<{ items: LeadImport[]; nextCursor: string | null }>('/api/v1/lead-imports', { query: { limit: 10 } }),
  });
