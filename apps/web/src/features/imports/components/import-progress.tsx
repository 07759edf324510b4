import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { Link } from 'react-router';

/** The server writing the leads, then how it went. `finished` is the import once it stopped processing. */
export function ImportProgress({
  report,
  job,
  finished,
}: {
  report: ImportReport;
  /** The import as last polled, while it is written. */
  job: LeadImport | undefined;
  finished: LeadImport | null;
}) {
  return (
    <div className="card stack" aria-live="polite">
      {report.alreadyImported && (
        <p className="notice">This exact file was imported before; nothing new was written.</p>
      )}
      {!finished ? (
        <>
          <h2>Importing…</h2>
          <progress max={job?.validRows || 1} value={job?.processedRows ?? 0} aria-label="Import progress" />
          <p className="muted">
            {job?.processedRows ?? 0} of {job?.validRows ?? report.validRows} leads written
          </p>
        </>
      ) : finished.status === 'completed' ? (
        <>
          <h2 data-testid="import-done">Import complete</h2>
          <p>
            {finished.processedRows} leads were distributed. <Link to={`/leads?importId=${finished.id}`}>See them</Link>
          </p>
        </>
      ) : (
        <p className="form-error" role="alert">
          The import failed and nothing was written{finished.error ? `: ${finished.error}` : ''}.
        </p>
      )}
    </div>
  );
}
