import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { describe, expect, it } from 'vitest';
import { importFlow, initialImportFlow, type ImportEvent, type ImportFlow } from './import-flow';

const file = new File(['FirstName,Phone\nAda,+15550100'], 'leads.csv', { type: 'text/csv' });
const other = new File(['FirstName,Phone'], 'other.csv', { type: 'text/csv' });
const IMPORT_ID = '01900000-0000-7000-8000-0000000000aa';

function report(overrides: Partial<ImportReport> = {}): ImportReport {
  return {
    id: null,
    status: 'dry-run',
    dryRun: true,
    alreadyImported: false,
    filename: 'leads.csv',
    fileType: 'csv',
    totalRows: 3,
    validRows: 2,
    invalidRows: 1,
    duplicateRows: 0,
    processedRows: 0,
    errors: [{ row: 3, column: 'Phone', message: 'Enter a phone number' }],
    errorsTruncated: false,
    distribution: [],
    ...overrides,
  };
}
const checkReport = report();
const importReport = report({ id: IMPORT_ID, status: 'processing', dryRun: false });
function job(status: LeadImport['status']): LeadImport {
  return {
    id: IMPORT_ID,
    filename: 'leads.csv',
    status,
    uploadedBy: '01900000-0000-7000-8000-000000000001',
    totalRows: 3,
    validRows: 2,
    invalidRows: 1,
    duplicateRows: 0,
    processedRows: status === 'completed' ? 2 : 0,
    errors: [],
    distribution: [],
    createdAt: '2025-01-01T00:00:00.000Z',
    completedAt: null,
  };
}

const run = (...events: ImportEvent[]) => events.reduce(importFlow, initialImportFlow);
const chosen = (): ImportEvent => ({ type: 'choose', file });
const checked: ImportEvent[] = [chosen(), { type: 'check' }, { type: 'uploaded', report: checkReport }];
const writing: ImportEvent[] = [...checked, { type: 'confirm' }, { type: 'uploaded', report: importReport }];

describe('the import steps', () => {
  it('start with no file, and a chosen file waits to be checked', () => {
    expect(initialImportFlow).toEqual({ step: 'idle' });
    expect(run(chosen())).toEqual({ step: 'chosen', file, report: null, error: null });
  });

  it('check a file with its upload progress, and wait for a confirmation with the report', () => {
    const checking = run(chosen(), { type: 'check' }, { type: 'progress', fraction: 0.4 });
    expect(checking).toEqual({ step: 'checking', file, report: null, progress: 0.4 });
    expect(run(...checked)).toEqual({ step: 'checked', file, report: checkReport, error: null });
  });

  it('upload once confirmed, from no progress, keeping the check’s report on screen, then watch the server write', () => {
    expect(run(...checked, { type: 'confirm' })).toEqual({ step: 'uploading', file, report: checkReport, progress: 0 });
    expect(run(...writing)).toEqual({ step: 'writing', file, report: importReport });
  });

  it('go straight to watching a file that was imported before', () => {
    const before = report({ id: IMPORT_ID, status: 'completed', alreadyImported: true });
    expect(run(chosen(), { type: 'check' }, { type: 'uploaded', report: before })).toEqual({
      step: 'writing',
      file,
      report: before,
    });
  });

  it('end done or failed, as the import the server wrote', () => {
    expect(run(...writing, { type: 'finished', job: job('completed') })).toMatchObject({
      step: 'done',
      job: job('completed'),
    });
    expect(run(...writing, { type: 'finished', job: job('failed') })).toMatchObject({ step: 'failed' });
  });

  it('show why a check failed next to the file, and allow checking again', () => {
    const failed = run(chosen(), { type: 'check' }, { type: 'uploadFailed', message: 'File too large' });
    expect(failed).toEqual({ step: 'chosen', file, report: null, error: 'File too large' });
    expect(importFlow(failed, { type: 'check' })).toEqual({ step: 'checking', file, report: null, progress: 0 });
  });

  it('go back to the report, with the reason, when the confirmed upload fails', () => {
    expect(run(...checked, { type: 'confirm' }, { type: 'uploadFailed', message: 'Cannot reach Crewdesk.' })).toEqual({
      step: 'checked',
      file,
      report: checkReport,
      error: 'Cannot reach Crewdesk.',
    });
  });

  it('need a new check when the agents change after one, the old report staying until then', () => {
    const changed = run(...checked, { type: 'agentsChanged' });
    expect(changed).toEqual({ step: 'chosen', file, report: checkReport, error: null });
    // A new check that fails falls back to the report there was.
    expect(
      run(...checked, { type: 'agentsChanged' }, { type: 'check' }, { type: 'uploadFailed', message: 'x' }),
    ).toEqual({ step: 'checked', file, report: checkReport, error: 'x' });
    // Changing the agents at any other step changes nothing.
    expect(run(chosen(), { type: 'agentsChanged' })).toEqual(run(chosen()));
  });

  it('start over with another file from any step, forgetting the report and the error', () => {
    for (const events of [checked, writing, [...writing, { type: 'finished', job: job('completed') } as const]]) {
      expect(run(...events, { type: 'choose', file: other })).toEqual({
        step: 'chosen',
        file: other,
        report: null,
        error: null,
      });
    }
  });

  it('ignore what does not fit the step: a late answer for a file no longer chosen, a confirm before a check', () => {
    const states: ImportFlow[] = [
      run(chosen(), { type: 'check' }, { type: 'choose', file: other }, { type: 'uploaded', report: checkReport }),
      run(chosen(), { type: 'confirm' }),
      run({ type: 'check' }),
      run(chosen(), { type: 'finished', job: job('completed') }),
      run(chosen(), { type: 'progress', fraction: 1 }),
    ];
    expect(states).toEqual([
      { step: 'chosen', file: other, report: null, error: null },
      { step: 'chosen', file, report: null, error: null },
      { step: 'idle' },
      { step: 'chosen', file, report: null, error: null },
      { step: 'chosen', file, report: null, error: null },
    ]);
  });
});
