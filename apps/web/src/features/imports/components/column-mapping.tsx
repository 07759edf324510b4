import type { ColumnMapping, ColumnTarget, ImportColumn } from '@crewdesk/contracts';
import { effectiveTargets } from '../routes/import-flow';

export const TARGET_LABELS: Record<ColumnTarget, string> = {
  firstName: 'First name',
  phone: 'Phone',
  notes: 'Notes',
  appendToNotes: 'Add to notes (“City: Pune”)',
  skip: 'Don’t import',
};
const ORDER: ColumnTarget[] = ['firstName', 'phone', 'notes', 'appendToNotes', 'skip'];
const REQUIRED = { firstName: 'First name', phone: 'Phone' } as const;

/**
 * Each column of the file with its first value and what it becomes, the server's suggestion (saved
 * for these headers, or from the header's name) until the admin chooses. What will not be imported
 * is said in so many words.
 */
export function ColumnMappingTable({
  columns,
  mapping,
  missing,
  onChange,
  disabled,
}: {
  columns: ImportColumn[];
  mapping: ColumnMapping;
  /** Required fields the last check found no column for. */
  missing: (keyof typeof REQUIRED)[];
  onChange: (name: string, target: ColumnTarget) => void;
  disabled?: boolean;
}) {
  const targets = effectiveTargets(columns, mapping);
  const used = new Set(Object.values(targets));
  const unplaced = (Object.keys(REQUIRED) as (keyof typeof REQUIRED)[]).filter((f) => !used.has(f));
  const notImported = columns.filter((c) => targets[c.name] === 'skip').map((c) => c.name);
  return (
    <section className="stack" aria-labelledby="columns-h" data-testid="column-mapping">
      <h3 id="columns-h">Match the columns</h3>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Your column</th>
              <th scope="col">Import as</th>
            </tr>
          </thead>
          <tbody>
            {columns.map((c) => (
              <tr key={c.name} data-testid="mapping-row">
                <th scope="row">
                  {c.name}
                  <span className="mapping-sample muted" data-testid="mapping-sample">
                    {c.sample || '—'}
                  </span>
                </th>
                <td>
                  <select
                    aria-label={`Import “${c.name}” as`}
                    value={targets[c.name]}
                    disabled={disabled}
                    onChange={(e) => onChange(c.name, e.target.value as ColumnTarget)}
                  >
                    {ORDER.map((t) => (
                      <option key={t} value={t}>
                        {TARGET_LABELS[t]}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {unplaced.length > 0 && (
        <p className={missing.length ? 'form-error' : 'notice'} role={missing.length ? 'alert' : undefined}>
          Choose the column that holds {unplaced.map((f) => REQUIRED[f]).join(' and ')}.
        </p>
      )}
      <p data-testid="not-imported">
        {notImported.length ? (
          <>
            <strong>Not imported:</strong> {notImported.join(', ')}
          </>
        ) : (
          'Every column is imported.'
        )}
      </p>
    </section>
  );
}
