import { lazy, Suspense } from 'react';
import { Page } from '../../../components/page';
import { ErrorState, Spinner } from '../../../components/states';
import { formatDuration } from '../../../lib/format';
import { useTaskStats } from '../api/get-stats';
import { usePageTitle } from '../../../lib/use-page-title';

// The chart library is its own chunk, fetched only when the dashboard opens.
const Charts = lazy(() => import('../components/charts'));

export function DashboardPage() {
  usePageTitle('Dashboard');
  const stats = useTaskStats();
  if (stats.isPending) return <Spinner label="Loading your numbers…" />;
  if (stats.isError) return <ErrorState error={stats.error} retry={() => void stats.refetch()} />;
  const s = stats.data;
  const completedLast30 = s.completedPerDay.reduce((n, d) => n + d.count, 0);
  const cards = [
    { label: 'Total tasks', value: s.total, testId: 'stat-total' },
    { label: 'Pending', value: s.byStatus.pending, testId: 'stat-pending' },
    { label: 'Completed', value: s.byStatus.completed, testId: 'stat-completed' },
    { label: 'Overdue', value: s.overdue, testId: 'stat-overdue', tone: s.overdue > 0 ? 'warn' : '' },
    { label: 'Average time to complete', value: formatDuration(s.avgCompletionSeconds), testId: 'stat-avg' },
    { label: 'Completed in 30 days', value: completedLast30, testId: 'stat-30d' },
  ];
  return (
    <Page title="Dashboard">
      <div className="cards">
        {cards.map((c) => (
          <div key={c.label} className={`card stat ${c.tone ?? ''}`} data-testid={c.testId}>
            <span className="stat-label">{c.label}</span>
            <span className="stat-value">{c.value}</span>
          </div>
        ))}
      </div>
      <Suspense fallback={<Spinner label="Drawing charts…" />}>
        <Charts stats={s} />
      </Suspense>
    </Page>
  );
}
