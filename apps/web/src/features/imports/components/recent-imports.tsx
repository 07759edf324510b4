import { Link } from 'react-router';
import { EmptyState, Spinner } from '../../../components/states';
import { formatDateTime } from '../../../lib/format';
import { useRecentImports } from '../api/imports';

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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
