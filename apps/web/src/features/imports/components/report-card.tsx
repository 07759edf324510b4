import type { ColumnTarget, ImportReport } from '@crewdesk/contracts';
import { lazy, Suspense } from 'react';
import { Button } from '../../../components/button';
import { Spinner } from '../../../components/states';
import { saveProblemRows } from '../api/problem-rows';

const DistributionChart = lazy(() => import('./distribution-chart'));

/** The report names the lead field; the page names the column of the file that holds it. */
const FIELD_OF: Record<string, ColumnTarget> = { FirstName: 'firstName', Phone: 'phone', Notes: 'notes' };
const columnOf = (report: ImportReport, field: string) =>
  report.columns.find((c) => c.target === FIELD_OF[field])?.name ?? field;

/** What the server found in a file: the counts, each problem by row, and how the leads are shared. */
export function ReportCard({ report }: { report: ImportReport }) {
  const counts = [
    { label: 'Rows', value: report.totalRows, id: 'total' },
    { label: 'Valid', value: report.validRows, id: 'valid' },
    { label: 'Invalid', value: report.invalidRows, id: 'invalid' },
    { label: 'Duplicates', value: report.duplicateRows, id: 'duplicate' },
  ];
  return (
    <div className="card stack" data-testid="import-report">
      <h2>What Crewdesk found</h2>
      <div className="cards">
        {counts.map((c) => (
          <div key={c.id} className="stat" data-testid={`report-${c.id}`}>
            <span className="stat-label">{c.label}</span>
            <span className="stat-value">{c.value}</span>
          </div>
        ))}
      </div>
      {report.errors.length > 0 ? (
        <div className="table-wrap report-errors">
          <table className="table">
            <caption className="sr-only">Problems by row</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {report.errors.map((e, i) => (
                <tr key={i} data-testid="report-error">
                  <td>{e.row}</td>
                  <td>{columnOf(report, e.column)}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.errorsTruncated && (
            <p className="muted">Only the first {report.errors.length} problems are listed.</p>
          )}
        </div>
      ) : report.missingColumns.length ? (
        <p>No row was checked yet: match the columns above, then check again.</p>
      ) : (
        <p>Every row is valid.</p>
      )}
      {report.problemRows.rows.length > 0 && (
        <p className="actions">
          <Button onClick={() => void saveProblemRows(report.problemRows, report.filename)}>
            Download problem rows
          </Button>
          <span className="muted">
            {report.problemRows.rows.length} row{report.problemRows.rows.length === 1 ? '' : 's'} as your file has them,
            with the row number and the reason{report.problemRows.truncated ? ' (the first ones only)' : ''}.
          </span>
        </p>
      )}
      {report.distribution.length > 0 && (
        <figure className="chart">
          <figcaption>Planned distribution</figcaption>
          <Suspense fallback={<Spinner label="Drawing chart…" />}>
            <DistributionChart data={report.distribution} />
          </Suspense>
          <ul className="legend" data-testid="distribution">
            {report.distribution.map((d) => (
              <li key={d.agentId}>
                {d.agentName}: {d.count}
              </li>
            ))}
          </ul>
        </figure>
      )}
    </div>
  );
}
