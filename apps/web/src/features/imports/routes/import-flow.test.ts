import type { ImportReport, LeadImport } from '@crewdesk/contracts';
import { describe, expect, it } from 'vitest';
import { importFlow, initialImportFlow, mappingToSend, type ImportEvent, type ImportFlow } from './import-flow';

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
    columns: [
      { name: 'FirstName', sample: 'Ada', target: 'firstName', source: 'header' },
      { name: 'Phone', sample: '+15550100', target: 'phone', source: 'header' },
    ],
    missingColumns: [],
    problemRows: { header: ['FirstName', 'Phone'], rows: [], truncated: false },
    importedAt: null,
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
    expect(run(chosen())).toEqual({ step: 'chosen', file, report: null, error: null, mapping: {} });
  });

  it('check a file with its upload progress, and wait for a confirmation with the report', () => {
    const checking = run(chosen(), { type: 'check' }, { type: 'progress', fraction: 0.4 });
    expect(checking).toEqual({ step: 'checking', file, report: null, progress: 0.4, mapping: {} });
    expect(run(...checked)).toEqual({ step: 'checked', file, report: checkReport, error: null, mapping: {} });
  });

  it('upload once confirmed, from no progress, keeping the check’s report on screen, then watch the server write', () => {
    expect(run(...checked, { type: 'confirm' })).toEqual({
      step: 'uploading',
      file,
      report: checkReport,
      progress: 0,
      mapping: {},
    });
    expect(run(...writing)).toEqual({ step: 'writing', file, report: importReport });
  });

  it('stop at what the earlier import wrote when the file was imported before: nothing to confirm or watch', () => {
    const before = report({ id: IMPORT_ID, status: 'completed', alreadyImported: true });
    const state = run(chosen(), { type: 'check' }, { type: 'uploaded', report: before });
    expect(state).toEqual({ step: 'importedBefore', file, report: before });
    expect(importFlow(state, { type: 'confirm' })).toBe(state);
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
    expect(failed).toEqual({ step: 'chosen', file, report: null, error: 'File too large', mapping: {} });
    expect(importFlow(failed, { type: 'check' })).toEqual({
      step: 'checking',
      file,
      report: null,
      progress: 0,
      mapping: {},
    });
  });

  it('go back to the report, with the reason, when the confirmed upload fails', () => {
    expect(run(...checked, { type: 'confirm' }, { type: 'uploadFailed', message: 'Cannot reach Crewdesk.' })).toEqual({
      step: 'checked',
      file,
      report: checkReport,
      error: 'Cannot reach Crewdesk.',
      mapping: {},
    });
  });

  it('need a new check when the agents change after one, the old report staying until then', () => {
    const changed = run(...checked, { type: 'agentsChanged' });
    expect(changed).toEqual({ step: 'chosen', file, report: checkReport, error: null, mapping: {} });
    // A new check that fails falls back to the report there was.
    expect(
      run(...checked, { type: 'agentsChanged' }, { type: 'check' }, { type: 'uploadFailed', message: 'x' }),
    ).toEqual({ step: 'checked', file, report: checkReport, error: 'x', mapping: {} });
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
        mapping: {},
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
      { step: 'chosen', file: other, report: null, error: null, mapping: {} },
      { step: 'chosen', file, report: null, error: null, mapping: {} },
      { step: 'idle' },
      { step: 'chosen', file, report: null, error: null, mapping: {} },
      { step: 'chosen', file, report: null, error: null, mapping: {} },
    ]);
  });
});

describe('matching the columns', () => {
  const customers = report({
    totalRows: 0,
    validRows: 0,
    invalidRows: 0,
    errors: [],
    columns: [
      { name: 'Customer', sample: 'Ravi', target: 'skip', source: 'none' },
      { name: 'Contact Number', sample: '+91 98450 12345', target: 'phone', source: 'header' },
      { name: 'Remarks', sample: 'Wants a demo', target: 'notes', source: 'header' },
      { name: 'City', sample: 'Pune', target: 'skip', source: 'none' },
    ],
    missingColumns: ['firstName'],
  });
  const shown: ImportEvent[] = [chosen(), { type: 'check' }, { type: 'uploaded', report: customers }];

  it('cannot confirm while First name or Phone has no column', () => {
    const state = run(...shown);
    expect(state.step).toBe('checked');
    expect(importFlow(state, { type: 'confirm' })).toBe(state);
  });

  it('a choice asks for a new check and is sent with it, every column named', () => {
    const state = run(...shown, { type: 'mapColumn', name: 'Customer', target: 'firstName' });
    expect(state).toMatchObject({ step: 'chosen', report: customers, mapping: { Customer: 'firstName' } });
    expect(mappingToSend(state)).toEqual({
      Customer: 'firstName',
      'Contact Number': 'phone',
      Remarks: 'notes',
      City: 'skip',
    });
    // The first check sends nothing: the server suggests from the headers and the saved mapping.
    expect(mappingToSend(run(chosen()))).toBeUndefined();
  });

  it('a field chosen for one column leaves the column that had it not imported', () => {
    const state = run(...shown, { type: 'mapColumn', name: 'City', target: 'notes' });
    expect(mappingToSend(state)).toMatchObject({ City: 'notes', Remarks: 'skip' });
  });

  it('keeps the choices through a check, and forgets them with another file', () => {
    const checkedAgain = run(
      ...shown,
      { type: 'mapColumn', name: 'Customer', target: 'firstName' },
      { type: 'check' },
      { type: 'uploaded', report: checkReport },
    );
    expect(checkedAgain).toMatchObject({ step: 'checked', mapping: { Customer: 'firstName' } });
    expect(importFlow(checkedAgain, { type: 'choose', file: other })).toMatchObject({ mapping: {} });
  });
});
