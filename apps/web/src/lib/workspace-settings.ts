import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UpdateWorkspaceSettingsBody, WorkspaceSettings } from '@crewdesk/contracts';
import { api } from './api';
import { getCountries } from 'libphonenumber-js/min';

/** The workspace settings (admins only): the settings page changes them, the import page reads the phone country. */
export const workspaceSettingsKey = ['workspace-settings'] as const;

export const useWorkspaceSettings = (enabled = true) =>
  useQuery({
    queryKey: workspaceSettingsKey,
    queryFn: () => api<WorkspaceSettings>('/api/v1/workspace/settings'),
    enabled,
  });

export function useUpdateWorkspaceSettings() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateWorkspaceSettingsBody) =>
      api<WorkspaceSettings>('/api/v1/workspace/settings', { method: 'PATCH', body }),
    onSuccess: (settings) => {
      qc.setQueryData(workspaceSettingsKey, settings);
      // The sign-in page's "Create an account" link follows publicSignup.
      void qc.invalidateQueries({ queryKey: ['setup-status'] });
    },
  });
}

const regionNames = new Intl.DisplayNames(undefined, { type: 'region' });
/** "IN" → "India". */
export const countryName = (code: string) => regionNames.of(code) ?? code;

/** Every country the server reads numbers of (the same library's list), by name. */
export const phoneCountries = () =>
  getCountries()
    .map((code) => ({ code, name: countryName(code) }))
    .sort((a, b) => a.name.localeCompare(b.name));
