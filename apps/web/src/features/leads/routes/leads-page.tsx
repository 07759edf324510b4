import type { Lead, LeadSort, LeadStatus } from '@crewdesk/contracts';
import { leadSorts, leadStatuses } from '@crewdesk/contracts';
import { useCallback, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button } from '../../../components/button';
import { Filters, ListStatus, SearchBox } from '../../../components/list';
import { Page } from '../../../components/page';
import { EmptyState } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { plural } from '../../../lib/format';
import { useDebounced } from '../../../lib/use-debounced';
import { useOnline } from '../../../lib/use-online';
import { useSession } from '../../../lib/session';
import { useActiveAgents } from '../../agents';
import { exportLeads, useLeadList, useReassign, useUpdateLead, type LeadFilters } from '../api/leads';
import { BulkReassignBar, SortBar } from '../components/list-controls';
import { FollowUpDialog } from '../components/follow-up-dialog';
import { LeadList, statusLabel } from '../components/lead-list';
import { usePageTitle } from '../../../lib/use-page-title';

const isSort = (s: string | null): s is LeadSort => (leadSorts as readonly string[]).includes(s ?? '');

/** Agents see "My leads"; admins see every lead, filter, sort, select many and reassign them. */
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
  const sortParam = params.get('sort');
  const sort = isSort(sortParam) ? sortParam : undefined;
  const setParam = (key: string, value: string) =>
    setParams(
      (p) => {
        if (value) p.set(key, value);
        else p.delete(key);
        return p;
      },
      { replace: true },
    );
  const filtered = Boolean(q || status || agentId || importId);
  const clearFilters = () => {
    setSearch('');
    setParams(
      (p) => {
        for (const key of ['q', 'status', 'agentId', 'importId']) p.delete(key);
        return p;
      },
      { replace: true },
    );
  };
  const filters: LeadFilters = {
    q: q || undefined,
    status: status || undefined,
    agentId: isAdmin ? agentId || undefined : undefined,
    importId: importId || undefined,
  };
  const list = useLeadList(filters, sort);
  const agents = useActiveAgents(isAdmin);
  const leads = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const update = useUpdateLead();
  const reassign = useReassign();
  const [followUpFor, setFollowUpFor] = useState<Lead | null>(null);
  const [exporting, setExporting] = useState(false);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());

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

  /** Moves leads in one call; the toast's Undo sends each back to whoever held it. */
  const move = useCallback(
    (assignments: { leadId: string; agentId: string }[], done: string) =>
      reassign.mutate(
        { assignments },
        {
          onSuccess: (result) => {
            setSelected(new Set());
            const back = result.previous.flatMap((p) => (p.agentId ? [{ leadId: p.leadId, agentId: p.agentId }] : []));
            toast(done, {
              tone: 'success',
              ms: 10_000,
              action: {
                label: 'Undo',
                run: () =>
                  reassign.mutate(
                    { assignments: back },
                    {
                      onSuccess: (r) => toast(`Undone: ${plural(r.moved, 'lead')} back where they were`),
                      onError: (e) => toast(errorMessage(e), { tone: 'error' }),
                    },
                  ),
              },
            });
          },
          onError: (e) => toast(errorMessage(e), { tone: 'error' }),
        },
      ),
    [reassign, toast],
  );
  const agentName = (id: string) => agents.data?.find((a) => a.id === id)?.name ?? 'the agent';
  const onReassign = useCallback(
    (lead: Lead, to: string) =>
      move([{ leadId: lead.id, agentId: to }], `${lead.firstName} now belongs to ${agentName(to)}`),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [move, agents.data],
  );
  const onSelect = useCallback(
    (lead: Lead) =>
      setSelected((s) => {
        const next = new Set(s);
        if (next.has(lead.id)) next.delete(lead.id);
        else next.add(lead.id);
        return next;
      }),
    [],
  );
  const onFollowUp = useCallback((lead: Lead) => setFollowUpFor(lead), []);

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
      {list.data && (
        <p className="muted lead-count" data-testid="lead-count" aria-live="polite">
          {plural(total, 'lead')}
          {filtered ? ' match' : ''}
        </p>
      )}
      {isAdmin && leads.length > 0 && (
        <>
          <SortBar sort={sort} onSort={(s) => setParam('sort', s ?? '')} />
          <BulkReassignBar
            leads={leads}
            selected={selected}
            agents={agents.data ?? []}
            busy={reassign.isPending}
            disabled={readOnly}
            onSelectAll={(all) => setSelected(all ? new Set(leads.map((l) => l.id)) : new Set())}
            onReassign={(to) =>
              move(
                [...selected].map((leadId) => ({ leadId, agentId: to })),
                `${plural(selected.size, 'lead')} moved to ${agentName(to)}`,
              )
            }
          />
        </>
      )}
      <ListStatus
        list={{ ...list, data: list.data?.items }}
        loadingLabel="Loading leads…"
        keepRowsOnError
        empty={
          filtered ? (
            <EmptyState title="No leads match" action={<Button onClick={clearFilters}>Clear filters</Button>}>
              No lead matches this search or filter.
            </EmptyState>
          ) : isAdmin ? (
            <EmptyState
              title="No leads yet"
              action={
                <Link className="btn btn-primary" to="/admin/import">
                  Import leads
                </Link>
              }
            >
              Import a CSV or Excel list and Crewdesk shares it out among your agents.
            </EmptyState>
          ) : (
            <EmptyState title="No leads assigned to you yet">
              New leads appear here when an admin distributes a list.
            </EmptyState>
          )
        }
      >
        <LeadList
          leads={leads}
          hasMore={Boolean(list.hasNextPage)}
          loadingMore={list.isFetchingNextPage}
          loadMore={() => void list.fetchNextPage()}
          readOnly={readOnly}
          agents={isAdmin ? agents.data : undefined}
          selected={isAdmin ? selected : undefined}
          onSelect={isAdmin ? onSelect : undefined}
          onStatus={onStatus}
          onFollowUp={onFollowUp}
          onReassign={isAdmin ? onReassign : undefined}
        />
      </ListStatus>
      <FollowUpDialog
        lead={followUpFor}
        onClose={() => setFollowUpFor(null)}
        onCreated={(task) => toast(`Task created: “${task.title}”`, { tone: 'success' })}
      />
    </Page>
  );
}
