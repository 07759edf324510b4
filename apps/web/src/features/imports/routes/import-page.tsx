import type { ImportReport } from '@crewdesk/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { EmptyState, Spinner } from '../../../components/states';
import { errorMessage } from '../../../lib/api-errors';
import { formatDateTime } from '../../../lib/format';
import { agentsKey, leadsKey } from '../../../lib/query-keys';
import { useActiveAgents } from '../../agents';
import { uploadLeadFile, useImportProgress, useRecentImports } from '../api/imports';
import { FilePreview } from '../components/file-preview';
import { usePageTitle } from '../../../lib/use-page-title';

const DistributionChart = lazy(() => import('../components/distribution-chart'));

type Step = 'choose' | 'checking' | 'checked' | 'uploading' | 'writing';

/** Choose a file → preview → check (dry run: every problem, the planned shares) → confirm → watch it land. */
export function ImportPage() {
  usePageTitle('Import leads');
  const agents = useActiveAgents();
  const recent = useRecentImports();
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [step, setStep] = useState<Step>('choose');
  const [progress, setProgress] = useState(0);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const job = useImportProgress(importId);

  const selected = chosen ?? new Set(agents.data?.map((a) => a.id) ?? []);
  const agentIds = chosen && agents.data && chosen.size !== agents.data.length ? [...chosen] : undefined;

  useEffect(() => {
    if (job.data && job.data.status !== 'processing') {
      void qc.invalidateQueries({ queryKey: leadsKey });
      void qc.invalidateQueries({ queryKey: agentsKey });
      void recent.refetch();
    }
  }, [job.data, qc, recent]);

  function choose(next: File | undefined) {
    if (!next) return;
    setFile(next);
    setReport(null);
    setError(null);
    setImportId(null);
    setStep('choose');
  }

  async function send(dryRun: boolean) {
    if (!file) return;
    setError(null);
    setProgress(0);
    setStep(dryRun ? 'checking' : 'uploading');
    try {
      const result = await uploadLeadFile(file, { dryRun, agentIds }, setProgress);
      setReport(result);
      if (!dryRun || result.alreadyImported) {
        setImportId(result.id);
        setStep('writing');
      } else setStep('checked');
    } catch (err) {
      setError(errorMessage(err));
      setStep(report ? 'checked' : 'choose');
    }
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    choose(e.dataTransfer.files[0]);
  };
  const done = job.data && job.data.status !== 'processing' ? job.data : null;

  return (
    <section className="page">
      <header className="page-header">
        <h1>Import leads</h1>
        <Link to="/leads">All leads</Link>
      </header>

      <div
        className={`dropzone ${dragging ? 'dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>
          <strong>Drop a CSV or Excel file here</strong> or{' '}
          <button type="button" className="link" onClick={() => input.current?.click()}>
            choose one
          </button>
        </p>
        <p className="muted">
          Columns: FirstName, Phone, Notes (headers like “First Name” or “Mobile” work too). Up to 10 MB unless your
          admin set another limit.
        </p>
        <input
          ref={input}
          type="file"
          className="sr-only"
          aria-label="Lead file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={(e) => choose(e.target.files?.[0])}
        />
      </div>

      {file && (
        <div className="card stack">
          <h2>
            {file.name} <span className="muted">({Math.ceil(file.size / 1024)} KB)</span>
          </h2>
          <FilePreview file={file} />
          {agents.data && agents.data.length > 0 ? (
            <fieldset className="agent-picker">
              <legend>Distribute among</legend>
              {agents.data.map((a) => (
                <label key={a.id} className="check-label">
                  <input
                    type="checkbox"
                    checked={selected.has(a.id)}
                    onChange={(e) => {
                      const next = new Set(selected);
                      if (e.target.checked) next.add(a.id);
                      else next.delete(a.id);
                      setChosen(next);
                      if (step === 'checked') setStep('choose');
                    }}
                  />
                  {a.name} <span className="muted">({a.openLeads} open)</span>
                </label>
              ))}
            </fieldset>
          ) : agents.data ? (
            <p className="notice">
              There are no active agents yet. <Link to="/admin/agents">Create agents</Link> before importing.
            </p>
          ) : null}
          {(step === 'choose' || step === 'checking') && (
            <Button
              variant="primary"
              busy={step === 'checking'}
              disabled={selected.size === 0}
              onClick={() => void send(true)}
            >
              Check file
            </Button>
          )}
          {(step === 'checking' || step === 'uploading') && (
            <progress max={1} value={progress} aria-label="Upload progress">
              {Math.round(progress * 100)}%
            </progress>
          )}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </div>
      )}

      {report && <Report report={report} />}

      {report && step === 'checked' && !report.alreadyImported && (
        <div className="card confirm-bar">
          <span>
            Import <strong>{report.validRows}</strong> lead{report.validRows === 1 ? '' : 's'}
            {report.invalidRows + report.duplicateRows > 0 &&
              `; ${report.invalidRows + report.duplicateRows} rows will be skipped`}
            .
          </span>
          <Button variant="primary" disabled={report.validRows === 0} onClick={() => void send(false)}>
            Confirm import
          </Button>
        </div>
      )}

      {step === 'writing' && importId && (
        <div className="card stack" aria-live="polite">
          {report?.alreadyImported && (
            <p className="notice">This exact file was imported before; nothing new was written.</p>
          )}
          {!done ? (
            <>
              <h2>Importing…</h2>
              <progress
                max={job.data?.validRows || 1}
                value={job.data?.processedRows ?? 0}
                aria-label="Import progress"
              />
              <p className="muted">
                {job.data?.processedRows ?? 0} of {job.data?.validRows ?? report?.validRows ?? 0} leads written
              </p>
            </>
          ) : done.status === 'completed' ? (
            <>
              <h2 data-testid="import-done">Import complete</h2>
              <p>
                {done.processedRows} leads were distributed. <Link to={`/leads?importId=${done.id}`}>See them</Link>
              </p>
            </>
          ) : (
            <p className="form-error" role="alert">
              The import failed and nothing was written{done.error ? `: ${done.error}` : ''}.
            </p>
          )}
        </div>
      )}

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
    </section>
  );
}

function Report({ report }: { report: ImportReport }) {
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
                  <td>{e.column}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.errorsTruncated && (
            <p className="muted">Only the first {report.errors.length} problems are listed.</p>
          )}
        </div>
      ) : (
        <p>Every row is valid.</p>
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
