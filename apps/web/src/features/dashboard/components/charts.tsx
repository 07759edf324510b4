import type { TaskStats } from '@crewdesk/contracts';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Pie,
  PieChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

const STATUS_COLORS = { pending: 'var(--warn)', completed: 'var(--ok)' };

export default function Charts({ stats }: { stats: TaskStats }) {
  const status = [
    { name: 'Pending', key: 'pending' as const, value: stats.byStatus.pending },
    { name: 'Completed', key: 'completed' as const, value: stats.byStatus.completed },
  ];
  const perDay = stats.completedPerDay.map((d) => ({ ...d, label: d.date.slice(5) }));
  return (
    <div className="charts">
      <figure className="card chart">
        <figcaption>Status</figcaption>
        {stats.total === 0 ? (
          <p className="muted">No tasks yet.</p>
        ) : (
          <ResponsiveContainer width="100%" height={220}>
            <PieChart>
              <Pie
                data={status}
                dataKey="value"
                nameKey="name"
                innerRadius={55}
                outerRadius={85}
                paddingAngle={2}
                isAnimationActive={false}
              >
                {status.map((s) => (
                  <Cell key={s.key} fill={STATUS_COLORS[s.key]} />
                ))}
              </Pie>
              <Tooltip />
            </PieChart>
          </ResponsiveContainer>
        )}
        <ul className="legend">
          {status.map((s) => (
            <li key={s.key}>
              <span className="swatch" data-status={s.key} aria-hidden="true" /> {s.name}: {s.value}
            </li>
          ))}
        </ul>
      </figure>
      <figure className="card chart chart-wide">
        <figcaption>Completed per day (last 30 days)</figcaption>
        <ResponsiveContainer width="100%" height={220}>
          <BarChart data={perDay}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--border)" />
            <XAxis dataKey="label" tick={{ fontSize: 11, fill: 'var(--muted)' }} interval={4} />
            <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: 'var(--muted)' }} width={28} />
            <Tooltip />
            <Bar
              dataKey="count"
              name="Completed"
              fill="var(--accent)"
              radius={[3, 3, 0, 0]}
              isAnimationActive={false}
            />
          </BarChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
