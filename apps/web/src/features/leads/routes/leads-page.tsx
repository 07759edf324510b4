import type { Lead, LeadStatus } from '@crewdesk/contracts';
import { leadStatuses } from '@crewdesk/contracts';
import { useCallback, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button } from '../../../components/button';
import { Filters, ListStatus, SearchBox } from '../../../components/list';
import { Page } from '../../../components/page';
import { EmptyState } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { useDebounced } from '../../../lib/use-debounced';
import { useOnline } from '../../../lib/use-online';
import { useSession } from '../../../lib/session';
import { useActiveAgents } from '../../agents';
import { exportLeads, useFollowUp, useLeadList, useUpdateLead, type LeadFilters } from '../api/leads';
import { LeadList, statusLabel } from '../components/lead-list';
import { NotesDialog } from '../components/notes-dialog';
import { usePageTitle } from '../../../lib/use-page-title';

/** Agents see "My leads"; admins see every lead, filter by agent and import, and reassign. */
export function LeadsPage() {
  const session = useSession();
  const isAdmin = session.user?.role === 'admin';
  usePageTitle(isAdmin ? 'Leads' : 'My leads');
  const online = useOnline();
  const readOnly = session.status === 'offline' || !online;
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  const q = useDebounced(search.trim());
  const status = (params.get('status') ?? '') as LeadStatus | '';
  const agentId = params.get('agentId') ?? '';
  const importId = params.get('importId') ?? '';
  const setParam = (key: string, value: string) =>
    setParams(
      (p) => {
        if (value) p.set(key, value);
        else p.delete(key);
        return p;
      },
      { replace: true },
    );
  const filters: LeadFilters = {
    q: q || undefined,
    status: status || undefined,
    agentId: isAdmin ? agentId || undefined : undefined,
    importId: importId || undefined,
  };
  const list = useLeadList(filters);
  const agents = useActiveAgents(isAdmin);
  const leads = list.data ?? [];
  const update = useUpdateLead();
  const followUp = useFollowUp();
  const [notesFor, setNotesFor] = useState<Lead | null>(null);
  const [exporting, setExporting] = useState(false);

  const onStatus = useCallback(
    (lead: Lead, next: LeadStatus) =>
      update.mutate(
        { id: lead.id, patch: { status: next } },
        {
          onSuccess: () => toast(`${lead.firstName}: ${statusLabel[next]}`, { tone: 'success', ms: 2500 }),
          onError: (e) => toast(errorMessage(e), { tone: 'error' }),
        },
      ),
    [update, toast],
  );
  const onReassign = useCallback(
    (lead: Lead, to: string) =>
      update.mutate(
        { id: lead.id, patch: { agentId: to } },
        {
          onSuccess: (l) => toast(`${lead.firstName} now belongs to ${l.agentName}`, { tone: 'success' }),
          onError: (e) => toast(errorMessage(e), { tone: 'error' }),
        },
      ),
    [update, toast],
  );
  const onFollowUp = useCallback(
    (lead: Lead) =>
      followUp.mutate(lead, {
        onSuccess: (task) => toast(`Task created: “${task.title}”`, { tone: 'success' }),
        onError: (e) => toast(errorMessage(e), { tone: 'error' }),
      }),
    [followUp, toast],
  );

  return (
    <Page
      title={isAdmin ? 'Leads' : 'My leads'}
      actions={
        <div className="header-actions">
          {isAdmin && (
            <Link className="btn btn-primary" to="/admin/import">
              Import leads
            </Link>
          )}
          <Button
            busy={exporting}
            disabled={readOnly}
            onClick={async () => {
              setExporting(true);
              try {
                await exportLeads(filters);
              } catch (e) {
                toast(errorMessage(e), { tone: 'error' });
              } finally {
                setExporting(false);
              }
            }}
          >
            Export CSV
          </Button>
        </div>
      }
    >
      <Filters>
        <SearchBox
          label="Search leads"
          placeholder="Search name or phone…"
          value={search}
          onChange={(value) => {
            setSearch(value);
            setParam('q', value.trim());
          }}
        />
        <select aria-label="Status" value={status} onChange={(e) => setParam('status', e.target.value)}>
          <option value="">All statuses</option>
          {leadStatuses.map((s) => (
            <option key={s} value={s}>
              {statusLabel[s]}
            </option>
          ))}
        </select>
        {isAdmin && (
          <select aria-label="Agent" value={agentId} onChange={(e) => setParam('agentId', e.target.value)}>
            <option value="">All agents</option>
            {agents.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        )}
        {importId && (
          <Button variant="ghost" onClick={() => setParam('importId', '')}>
            Showing one import · show all
          </Button>
        )}
      </Filters>
      <ListStatus
        list={list}
        loadingLabel="Loading leads…"
        keepRowsOnError
        empty={
          <EmptyState
            title={
              q || status || agentId || importId
                ? 'No leads match'
                : isAdmin
                  ? 'No leads yet'
                  : 'No leads assigned to you yet'
            }
          >
            {isAdmin
              ? 'Import a CSV or Excel list and Crewdesk shares it out among your agents.'
              : 'New leads appear here when an admin distributes a list.'}
          </EmptyState>
        }
      >
        <LeadList
          leads={leads}
          hasMore={Boolean(list.hasNextPage)}
          loadingMore={list.isFetchingNextPage}
          loadMore={() => void list.fetchNextPage()}
          readOnly={readOnly}
          agents={isAdmin ? agents.data : undefined}
          onStatus={onStatus}
          onNotes={setNotesFor}
          onFollowUp={onFollowUp}
          onReassign={isAdmin ? onReassign : undefined}
        />
      </ListStatus>
      <NotesDialog
        lead={notesFor}
        onClose={() => setNotesFor(null)}
        onSave={(lead, notes) => {
          update.mutate(
            { id: lead.id, patch: { notes } },
            {
              onSuccess: () => toast('Notes saved', { tone: 'success' }),
              onError: (e) => toast(errorMessage(e), { tone: 'error' }),
            },
          );
          setNotesFor(null);
        }}
      />
    </Page>
  );
}
