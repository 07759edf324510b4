import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { EmptyState, Spinner } from '../../../components/states';
import { formatDateTime } from '../../../lib/format';
import { useRecentImports } from '../api/imports';
import { downloadStoredProblemRows } from '../api/problem-rows';

/** A file to start from: the columns an import reads, with two example rows. */
function downloadSample() {
  const csv =
    '\uFEFFFirstName,Phone,Notes\r\nAsha,+91 98450 12345,Asked for a call after 6 pm\r\nJosé,+1 415 555 0100,\r\n';
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'crewdesk-leads-sample.csv';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function RecentImports() {
  const recent = useRecentImports();
  return (
    <section className="stack" aria-labelledby="recent-h">
      <h2 id="recent-h">Recent imports</h2>
      {recent.isPending ? (
        <Spinner />
      ) : !recent.data?.items.length ? (
        <EmptyState title="No imports yet" action={<Button onClick={downloadSample}>Download a sample CSV</Button>}>
          Upload a CSV or Excel file above: each row with a first name and a phone becomes a lead.
        </EmptyState>
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
