import type { ImportReport } from '@crewdesk/contracts';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { formatDateTime } from '../../../lib/format';
import { downloadStoredProblemRows } from '../api/problem-rows';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A file uploaded again: when it was imported and what that import wrote. Nothing is planned or written now. */
export function ImportedBefore({ report }: { report: ImportReport }) {
  const skipped = report.invalidRows + report.duplicateRows;
  return (
    <div className="card stack" data-testid="imported-before" aria-live="polite">
      <h2>This file was imported before</h2>
      <p>
        {report.importedAt ? `Imported ${formatDateTime(report.importedAt)}: ` : 'Imported earlier: '}
        <strong>{plural(report.processedRows, 'lead')} created</strong>, {plural(skipped, 'row')} skipped. Nothing new
        is written.
      </p>
      <p className="actions">
        {report.id && <Link to={`/leads?importId=${report.id}`}>See its leads</Link>}
        {report.id && skipped > 0 && (
          <Button onClick={() => void downloadStoredProblemRows(report.id!, report.filename)}>
            Download problem rows
          </Button>
        )}
      </p>
    </div>
  );
}
