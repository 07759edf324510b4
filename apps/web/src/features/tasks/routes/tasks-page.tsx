import type { Task } from '@crewdesk/contracts';
import { lazy, Suspense, useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ListStatus } from '../../../components/list';
import { Page } from '../../../components/page';
import { EmptyState } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { useDebounced } from '../../../lib/use-debounced';
import { useOnline } from '../../../lib/use-online';
import { useSession } from '../../../lib/session';
import { exportTasks } from '../api/export-tasks';
import { useTaskList, type TaskFilters } from '../api/list-tasks';
import { useBulkTasks, useCreateTask, useDeleteTask, useToggleTask } from '../api/task-mutations';
import { dueRange, TaskFiltersBar, type FilterState } from '../components/task-filters';
import { TaskList } from '../components/task-list';
import { usePageTitle } from '../../../lib/use-page-title';

// The form (and its validation library) loads when a dialog first opens, not with the list.
const TaskDialog = lazy(() => import('../components/task-dialog').then((m) => ({ default: m.TaskDialog })));

const FILTER_KEYS = ['q', 'status', 'priority', 'due', 'sort'] as const;

export function TasksPage() {
  usePageTitle('Tasks');
  const [params, setParams] = useSearchParams();
  const session = useSession();
  const online = useOnline();
  const readOnly = session.status === 'offline' || !online;
  const toast = useToast();

  const [selected, setSelected] = useState<Set<string>>(new Set());
  // Filters live in the URL, so a reload or a shared link shows the same list.
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as unknown as FilterState;
  const setFilters = (patch: Partial<FilterState>) => {
    // A selection made under other filters may hold tasks no longer on screen; bulk actions must not reach them.
    setSelected(new Set());
    setParams(
      (p) => {
        for (const [k, v] of Object.entries(patch)) {
          if (v) p.set(k, v);
          else p.delete(k);
        }
        return p;
      },
      { replace: true },
    );
  };
  const q = useDebounced(filters.q.trim(), 300);
  const range = useMemo(() => dueRange(filters.due), [filters.due]);
  const query: TaskFilters = {
    q: q || undefined,
    status: (filters.status || undefined) as TaskFilters['status'],
    priority: (filters.priority || undefined) as TaskFilters['priority'],
    sort: filters.sort || undefined,
    ...range,
  };
  const list = useTaskList(query);
  const tasks = list.data ?? [];

  const [editing, setEditing] = useState<Task | null>(null);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [confirmBulkDelete, setConfirmBulkDelete] = useState(false);
  const [exporting, setExporting] = useState(false);

  const toggle = useToggleTask();
  const remove = useDeleteTask();
  const create = useCreateTask();
  const bulk = useBulkTasks();

  const onSelect = useCallback((task: Task) => {
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(task.id)) next.delete(task.id);
      else next.add(task.id);
      return next;
    });
  }, []);
  const onToggle = useCallback(
    (task: Task) =>
      toggle.mutate(task, {
        onError: (err) => toast(`Could not update “${task.title}”: ${errorMessage(err)}`, { tone: 'error' }),
      }),
    [toggle, toast],
  );
  const onEdit = useCallback((task: Task) => {
    setEditing(task);
    setDialogOpen(true);
  }, []);
  const onDelete = useCallback(
    (task: Task) =>
      remove.mutate(task.id, {
        onSuccess: () =>
          toast(`Deleted “${task.title}”`, {
            ms: 8000,
            action: {
              label: 'Undo',
              run: () =>
                void create
                  .mutateAsync({
                    title: task.title,
                    description: task.description,
                    priority: task.priority,
                    status: task.status,
                    dueDate: task.dueDate,
                  })
                  .catch((err: unknown) => toast(errorMessage(err), { tone: 'error' })),
            },
          }),
        onError: (err) => toast(errorMessage(err), { tone: 'error' }),
      }),
    [remove, create, toast],
  );

  async function runBulk(action: 'complete' | 'reopen' | 'delete') {
    try {
      const { count } = await bulk.mutateAsync({ ids: [...selected], action });
      const verb = { complete: 'Completed', reopen: 'Reopened', delete: 'Deleted' }[action];
      toast(`${verb} ${count} task${count === 1 ? '' : 's'}`, { tone: 'success' });
      setSelected(new Set());
    } catch (err) {
      toast(errorMessage(err), { tone: 'error' });
    }
    setConfirmBulkDelete(false);
  }

  async function onExport() {
    setExporting(true);
    try {
      await exportTasks(query);
    } catch (err) {
      toast(errorMessage(err), { tone: 'error' });
    } finally {
      setExporting(false);
    }
  }

  const filtered = Boolean(q || filters.status || filters.priority || filters.due);

  return (
    <Page
      title="Tasks"
      actions={
        <Button
          variant="primary"
          disabled={readOnly}
          onClick={() => {
            setEditing(null);
            setDialogOpen(true);
          }}
        >
          New task
        </Button>
      }
    >
      <TaskFiltersBar
        value={filters}
        onChange={setFilters}
        onExport={onExport}
        exporting={exporting}
        offline={readOnly}
      />
      {selected.size > 0 && (
        <div className="bulk-bar" role="region" aria-label="Selected tasks">
          <span>{selected.size} selected</span>
          <Button onClick={() => runBulk('complete')} disabled={readOnly} busy={bulk.isPending}>
            Complete
          </Button>
          <Button onClick={() => runBulk('reopen')} disabled={readOnly}>
            Reopen
          </Button>
          <Button variant="danger" onClick={() => setConfirmBulkDelete(true)} disabled={readOnly}>
            Delete
          </Button>
          <Button variant="ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </Button>
        </div>
      )}
      <ListStatus
        list={list}
        loadingLabel="Loading tasks…"
        keepRowsOnError
        empty={
          filtered ? (
            <EmptyState title="No tasks match">
              Try other words or clear the filters.{' '}
              <button
                type="button"
                className="link"
                onClick={() => setFilters({ q: '', status: '', priority: '', due: '' })}
              >
                Clear filters
              </button>
            </EmptyState>
          ) : (
            <EmptyState
              title="No tasks yet"
              action={
                <Button variant="primary" disabled={readOnly} onClick={() => setDialogOpen(true)}>
                  Create your first task
                </Button>
              }
            >
              Tasks you create appear here. Search, filter and tick them off as you go.
            </EmptyState>
          )
        }
      >
        <TaskList
          tasks={tasks}
          hasMore={Boolean(list.hasNextPage)}
          loadingMore={list.isFetchingNextPage}
          loadMore={() => void list.fetchNextPage()}
          selected={selected}
          readOnly={readOnly}
          onSelect={onSelect}
          onToggle={onToggle}
          onEdit={onEdit}
          onDelete={onDelete}
        />
      </ListStatus>
      {dialogOpen && (
        <Suspense fallback={null}>
          <TaskDialog task={editing} open onClose={() => setDialogOpen(false)} />
        </Suspense>
      )}
      <Dialog
        open={confirmBulkDelete}
        title={`Delete ${selected.size} task${selected.size === 1 ? '' : 's'}?`}
        onClose={() => setConfirmBulkDelete(false)}
        footer={
          <>
            <Button onClick={() => setConfirmBulkDelete(false)}>Cancel</Button>
            <Button variant="danger" busy={bulk.isPending} onClick={() => runBulk('delete')}>
              Delete
            </Button>
          </>
        }
      >
        <p>This cannot be undone.</p>
      </Dialog>
    </Page>
  );
}
