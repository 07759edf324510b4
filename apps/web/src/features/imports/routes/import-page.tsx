import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useReducer, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { Page } from '../../../components/page';
import { errorMessage } from '../../../lib/api-errors';
import { agentsKey, leadsKey } from '../../../lib/query-keys';
import { usePageTitle } from '../../../lib/use-page-title';
import { useActiveAgents } from '../../agents';
import { recentImportsKey, useImportProgress, useUploadLeadFile } from '../api/imports';
import { AgentPicker } from '../components/agent-picker';
import { ColumnMappingTable } from '../components/column-mapping';
import { FilePreview } from '../components/file-preview';
import { ImportHint } from '../components/import-hint';
import { ImportedBefore } from '../components/imported-before';
import { ImportProgress } from '../components/import-progress';
import { RecentImports } from '../components/recent-imports';
import { ReportCard } from '../components/report-card';
import { canConfirm, effectiveTargets, importFlow, initialImportFlow, mappingToSend } from './import-flow';

/**
 * Choose a file → preview → check (dry run: the columns, every problem, the planned shares) → match
 * the columns → confirm → watch it land.
 */
export function ImportPage() {
  usePageTitle('Import leads');
  const agents = useActiveAgents();
  const qc = useQueryClient();
  const upload = useUploadLeadFile();
  const [flow, dispatch] = useReducer(importFlow, initialImportFlow);
  // Every active agent until the user unticks one.
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const landing = flow.step === 'writing' || flow.step === 'done' || flow.step === 'failed' ? flow : null;
  const job = useImportProgress(landing?.report.id ?? null);

  const selected = chosen ?? new Set(agents.data?.map((a) => a.id) ?? []);
  const agentIds = chosen && agents.data && chosen.size !== agents.data.length ? [...chosen] : undefined;

  useEffect(() => {
    if (flow.step !== 'writing' || !job.data || job.data.status === 'processing') return;
    dispatch({ type: 'finished', job: job.data });
    void qc.invalidateQueries({ queryKey: leadsKey });
    void qc.invalidateQueries({ queryKey: agentsKey });
    void qc.invalidateQueries({ queryKey: recentImportsKey });
  }, [flow.step, job.data, qc]);

  const choose = (file: File | undefined) => file && dispatch({ type: 'choose', file });
  function send(dryRun: boolean) {
    if (flow.step === 'idle') return;
    dispatch({ type: dryRun ? 'check' : 'confirm' });
    upload.mutate(
      {
        file: flow.file,
        dryRun,
        agentIds,
        mapping: mappingToSend(flow),
        onProgress: (fraction) => dispatch({ type: 'progress', fraction }),
      },
      {
        onSuccess: (report) => dispatch({ type: 'uploaded', report }),
        onError: (err) => dispatch({ type: 'uploadFailed', message: errorMessage(err) }),
      },
    );
  }
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    choose(e.dataTransfer.files[0]);
  };
  const report = flow.step === 'idle' || flow.step === 'importedBefore' ? null : flow.report;
  const progress = flow.step === 'checking' || flow.step === 'uploading' ? flow.progress : null;
  const error = flow.step === 'chosen' || flow.step === 'checked' ? flow.error : null;
  const mapping = 'mapping' in flow ? flow.mapping : null;
  const editable = flow.step === 'chosen' || flow.step === 'checked';
  const notImported =
    flow.step === 'checked'
      ? Object.entries(effectiveTargets(flow.report.columns, flow.mapping))
          .filter(([, target]) => target === 'skip')
          .map(([name]) => name)
      : [];

  return (
    <Page title="Import leads" actions={<Link to="/leads">All leads</Link>}>
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
        <ImportHint />
        <input
          ref={input}
          type="file"
          className="sr-only"
          aria-label="Lead file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={(e) => choose(e.target.files?.[0])}
        />
      </div>

      {flow.step !== 'idle' && (
        <div className="card stack">
          <h2>
            {flow.file.name} <span className="muted">({Math.ceil(flow.file.size / 1024)} KB)</span>
          </h2>
          <FilePreview file={flow.file} />
          <AgentPicker
            agents={agents.data}
            selected={selected}
            onChange={(next) => {
              setChosen(next);
              dispatch({ type: 'agentsChanged' });
            }}
          />
          {mapping && report && report.columns.length > 0 && (
            <ColumnMappingTable
              columns={report.columns}
              mapping={mapping}
              missing={report.missingColumns}
              disabled={!editable}
              onChange={(name, target) => dispatch({ type: 'mapColumn', name, target })}
            />
          )}
          {(flow.step === 'chosen' || flow.step === 'checking') && (
            <Button
              variant="primary"
              busy={flow.step === 'checking'}
              disabled={selected.size === 0}
              onClick={() => send(true)}
            >
              {flow.report ? 'Check again' : 'Check file'}
            </Button>
          )}
          {progress !== null && (
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

      {flow.step === 'importedBefore' && <ImportedBefore report={flow.report} />}

      {report && <ReportCard report={report} />}

      {flow.step === 'checked' && (
        <div className="card confirm-bar">
          <span>
            Import <strong>{flow.report.validRows}</strong> lead{flow.report.validRows === 1 ? '' : 's'}
            {flow.report.invalidRows + flow.report.duplicateRows > 0 &&
              `; ${flow.report.invalidRows + flow.report.duplicateRows} rows will be skipped`}
            .{notImported.length > 0 && ` Not imported: ${notImported.join(', ')}.`}
          </span>
          <Button variant="primary" disabled={!canConfirm(flow.report)} onClick={() => send(false)}>
            Confirm import
          </Button>
        </div>
      )}

      {landing?.report.id && (
        <ImportProgress
          report={landing.report}
          job={job.data}
          finished={landing.step === 'writing' ? null : landing.job}
        />
      )}

      <RecentImports />
    </Page>
  );
}
