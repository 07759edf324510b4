import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { EmptyState, Spinner } from '../../../components/states';
import { formatDateTime } from '../../../lib/format';
import { useRecentImports } from '../api/imports';
import { downloadStoredProblemRows } from '../api/problem-rows';

export function RecentImports() {
  const recent = useRecentImports();
  return (
    <section className="stack" aria-labelledby="recent-h">
      <h2 id="recent-h">Recent imports</h2>
      {recent.isPending ? (
        <Spinner />
      ) : !recent.data?.items.length ? (
        <EmptyState title="No imports yet" />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">When</th>
                <th scope="col">Status</th>
                <th scope="col">Imported</th>
                <th scope="col">Skipped</th>
                <th scope="col">Problem rows</th>
              </tr>
            </thead>
            <tbody>
              {recent.data.items.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link to={`/leads?importId=${i.id}`}>{i.filename}</Link>
                  </td>
                  <td>{formatDateTime(i.createdAt)}</td>
                  <td>{i.status}</td>
                  <td>{i.processedRows}</td>
                  <td>{i.invalidRows + i.duplicateRows}</td>
                  <td>
                    {i.status === 'completed' && i.invalidRows + i.duplicateRows > 0 ? (
                      <Button
                        aria-label={`Download the problem rows of ${i.filename}`}
                        onClick={() => void downloadStoredProblemRows(i.id, i.filename)}
                      >
                        Download
                      </Button>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
