import type { Agent } from '@crewdesk/contracts';
import { useState } from 'react';
import { Button } from '../../../components/button';
import { Filters, ListStatus, LoadMore, SearchBox } from '../../../components/list';
import { Page } from '../../../components/page';
import { EmptyState } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { useDebounced } from '../../../lib/use-debounced';
import { usePageTitle } from '../../../lib/use-page-title';
import { formatPhone } from '../../../lib/phone';
import { useAgents, useUpdateAgent } from '../api/agents';
import { AgentDialog } from '../components/agent-dialog';
import { DeactivateDialog } from '../components/deactivate-dialog';
import { MoveLeadsDialog } from '../components/move-leads-dialog';

export function AgentsPage() {
  usePageTitle('Agents');
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim());
  const agents = useAgents({ q: q || undefined });
  const update = useUpdateAgent();
  const toast = useToast();
  const [editing, setEditing] = useState<Agent | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [deactivating, setDeactivating] = useState<Agent | null>(null);

  const reactivate = (a: Agent) =>
    update.mutate(
      { id: a.id, patch: { active: true } },
      {
        onSuccess: () => toast(`${a.name} reactivated`, { tone: 'success' }),
        onError: (e) => toast(errorMessage(e), { tone: 'error' }),
      },
    );
  const [moving, setMoving] = useState<Agent | null>(null);

  return (
    <Page
      title="Agents"
      actions={
        <Button
          variant="primary"
          onClick={() => {
            setEditing(null);
            setDialogOpen(true);
          }}
        >
          New agent
        </Button>
      }
    >
      <Filters>
        <SearchBox label="Search agents" placeholder="Search agents…" value={search} onChange={setSearch} />
      </Filters>
      <ListStatus
        list={agents}
        empty={
          <EmptyState
            title={q ? 'No agents match' : 'No agents yet'}
            action={
              q ? (
                <Button onClick={() => setSearch('')}>Clear search</Button>
              ) : (
                <Button
                  variant="primary"
                  onClick={() => {
                    setEditing(null);
                    setDialogOpen(true);
                  }}
                >
                  Create the first agent
                </Button>
              )
            }
          >
            {q ? 'Try another name or email.' : 'Agents receive the leads you import. Create the first one.'}
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Mobile</th>
                <th scope="col">Open leads</th>
                <th scope="col">Total leads</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {agents.data?.map((a) => (
                <tr key={a.id} className={a.active ? '' : 'inactive'} data-testid="agent-row">
                  <td>{a.name}</td>
                  <td>{a.email}</td>
                  <td>{formatPhone(a.mobile)}</td>
                  <td>{a.openLeads}</td>
                  <td>{a.totalLeads}</td>
                  <td>
                    <span className={`badge ${a.active ? 'badge-ok' : 'badge-muted'}`}>
                      {a.active ? 'Active' : 'Deactivated'}
                    </span>
                  </td>
                  <td className="actions">
                    <Button
                      variant="ghost"
                      onClick={() => {
                        setEditing(a);
                        setDialogOpen(true);
                      }}
                    >
                      Edit
                    </Button>
                    {a.active ? (
                      <Button variant="danger" onClick={() => setDeactivating(a)}>
                        Deactivate
                      </Button>
                    ) : (
                      <>
                        <Button onClick={() => reactivate(a)}>Reactivate</Button>
                        {a.openLeads > 0 && <Button onClick={() => setMoving(a)}>Move {a.openLeads} open leads</Button>}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore list={agents} />
        </div>
      </ListStatus>
      <AgentDialog agent={editing} open={dialogOpen} onClose={() => setDialogOpen(false)} />
      <DeactivateDialog agent={deactivating} onClose={() => setDeactivating(null)} />
      <MoveLeadsDialog agent={moving} onClose={() => setMoving(null)} />
    </Page>
  );
}
