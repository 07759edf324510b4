import type { Role, User } from '@crewdesk/contracts';
import { useState } from 'react';
import { Navigate } from 'react-router';
import { Button } from '../../../components/button';
import { Filters, ListStatus, LoadMore, SearchBox } from '../../../components/list';
import { Page } from '../../../components/page';
import { EmptyState } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { formatDate } from '../../../lib/format';
import { useDebounced } from '../../../lib/use-debounced';
import { useSession } from '../../../lib/session';
import { useUpdateUser, useUsers } from '../api/users';
import { CreateUserDialog } from '../components/create-user-dialog';
import { usePageTitle } from '../../../lib/use-page-title';

export function UsersPage() {
  usePageTitle('Users');
  const session = useSession();
  const [search, setSearch] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const q = useDebounced(search.trim());
  const users = useUsers({ q: q || undefined, role: role || undefined });
  const update = useUpdateUser();
  const toast = useToast();
  const [creating, setCreating] = useState(false);

  if (session.user?.role !== 'admin') return <Navigate to="/tasks" replace />;

  const change = (user: User, patch: { role?: Role; active?: boolean }, done: string) =>
    update.mutate(
      { id: user.id, patch },
      {
        onSuccess: () => toast(done, { tone: 'success' }),
        onError: (err) => toast(errorMessage(err), { tone: 'error' }),
      },
    );

  return (
    <Page
      title="Users"
      actions={
        <Button variant="primary" onClick={() => setCreating(true)}>
          New user
        </Button>
      }
    >
      <Filters>
        <SearchBox label="Search users" placeholder="Search name or email…" value={search} onChange={setSearch} />
        <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
          <option value="">All roles</option>
          <option value="admin">Admins</option>
          <option value="agent">Agents</option>
          <option value="member">Members</option>
        </select>
      </Filters>
      <ListStatus
        list={users}
        empty={
          <EmptyState
            title="No users match"
            action={
              <Button
                onClick={() => {
                  setSearch('');
                  setRole('');
                }}
              >
                Clear filters
              </Button>
            }
          >
            Try another name or email, or another role.
          </EmptyState>
        }
      >
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data?.map((u) => (
                <tr key={u.id} className={u.active ? '' : 'inactive'}>
                  <td>{u.name}</td>
                  <td>{u.email}</td>
                  <td>
                    <select
                      aria-label={`Role of ${u.name}`}
                      value={u.role}
                      disabled={u.id === session.user?.id}
                      onChange={(e) =>
                        change(u, { role: e.target.value as Role }, `${u.name} is now ${e.target.value}`)
                      }
                    >
                      <option value="member">Member</option>
                      <option value="agent">Agent</option>
                      <option value="admin">Admin</option>
                    </select>
                  </td>
                  <td>
                    <span className={`badge ${u.active ? 'badge-ok' : 'badge-muted'}`}>
                      {u.active ? 'Active' : 'Deactivated'}
                    </span>
                  </td>
                  <td>{formatDate(u.createdAt)}</td>
                  <td>
                    {u.id !== session.user?.id && (
                      <Button
                        variant={u.active ? 'danger' : 'secondary'}
                        onClick={() =>
                          change(
                            u,
                            { active: !u.active },
                            `${u.name} ${u.active ? 'deactivated and signed out' : 'reactivated'}`,
                          )
                        }
                      >
                        {u.active ? 'Deactivate' : 'Reactivate'}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <LoadMore list={users} />
        </div>
      </ListStatus>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
