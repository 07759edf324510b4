import type { ColumnMapping, ColumnTarget, ImportColumn, ImportReport, LeadImport } from '@crewdesk/contracts';

/**
 * The import page's steps: choose a file → check it (a dry run that finds every problem, shows the
 * file's columns and what each becomes, and plans the shares) → match the columns → confirm →
 * upload → the server writes the leads → done, or failed. A file imported before stops at
 * `importedBefore`: what that import wrote, and nothing to confirm. Each state holds what its screen
 * shows; `report` is the last answer from the server, kept on screen until another file is chosen;
 * `mapping` is the admin's own column choices, sent with every later check and the import.
 */
export type ImportFlow =
  | { step: 'idle' }
  /**
   * A file to check. A report here is from before the agents or the columns were changed; checking
   * again replaces it.
   */
  | { step: 'chosen'; file: File; report: ImportReport | null; error: string | null; mapping: ColumnMapping }
  | { step: 'checking'; file: File; report: ImportReport | null; progress: number; mapping: ColumnMapping }
  /** The dry run's report, waiting for the user to confirm. */
  | { step: 'checked'; file: File; report: ImportReport; error: string | null; mapping: ColumnMapping }
  | { step: 'uploading'; file: File; report: ImportReport; progress: number; mapping: ColumnMapping }
  /** The server has the file and writes the leads; `report.id` is the import to watch. */
  | { step: 'writing'; file: File; report: ImportReport }
  /** The same file was imported before: the report is that import's, and nothing is written. */
  | { step: 'importedBefore'; file: File; report: ImportReport }
  | { step: 'done' | 'failed'; file: File; report: ImportReport; job: LeadImport };

export type ImportEvent =
  | { type: 'choose'; file: File }
  /** The agents to share among changed: a report that planned other shares needs a new check. */
  | { type: 'agentsChanged' }
  /** The admin chose what a column becomes: the report needs a new check with that choice. */
  | { type: 'mapColumn'; name: string; target: ColumnTarget }
  | { type: 'check' }
  | { type: 'confirm' }
  | { type: 'progress'; fraction: number }
  | { type: 'uploaded'; report: ImportReport }
  | { type: 'uploadFailed'; message: string }
  /** The import the server was writing is no longer processing. */
  | { type: 'finished'; job: LeadImport };

export const initialImportFlow: ImportFlow = { step: 'idle' };

/** The fields one column fills; choosing one for a column takes it from any other. */
const SINGLE: ColumnTarget[] = ['firstName', 'phone', 'notes'];

/** What each column becomes: the admin's choice, else the server's suggestion. */
export function effectiveTargets(columns: ImportColumn[], mapping: ColumnMapping): ColumnMapping {
  return Object.fromEntries(columns.map((c) => [c.name, mapping[c.name] ?? c.target]));
}

/** The admin's mapping with `name` set to `target`; a field taken from another column leaves it not imported. */
export function mapColumn(
  columns: ImportColumn[],
  mapping: ColumnMapping,
  name: string,
  target: ColumnTarget,
): ColumnMapping {
  const next = effectiveTargets(columns, mapping);
  if (SINGLE.includes(target)) {
    for (const [other, was] of Object.entries(next)) if (other !== name && was === target) next[other] = 'skip';
  }
  next[name] = target;
  return next;
}

/** What a check or the import sends: every column's target once the server has shown the columns. */
export function mappingToSend(flow: ImportFlow): ColumnMapping | undefined {
  if (!('mapping' in flow) || !flow.report?.columns.length) return undefined;
  return effectiveTargets(flow.report.columns, flow.mapping);
}

/** Whether the checked report may be imported: every required field has a column, some row is valid. */
export const canConfirm = (report: ImportReport) => report.missingColumns.length === 0 && report.validRows > 0;

/** An event that does not fit the current step (a late answer for a file no longer chosen) changes nothing. */
export function importFlow(state: ImportFlow, event: ImportEvent): ImportFlow {
  switch (event.type) {
    case 'choose':
      return { step: 'chosen', file: event.file, report: null, error: null, mapping: {} };
    case 'agentsChanged':
      return state.step === 'checked' ? { ...state, step: 'chosen' } : state;
    case 'mapColumn': {
      if ((state.step !== 'checked' && state.step !== 'chosen') || !state.report) return state;
      const mapping = mapColumn(state.report.columns, state.mapping, event.name, event.target);
      return { ...state, step: 'chosen', mapping };
    }
    case 'check':
      return state.step === 'chosen'
        ? { step: 'checking', file: state.file, report: state.report, progress: 0, mapping: state.mapping }
        : state;
    case 'confirm':
      return state.step === 'checked' && canConfirm(state.report)
        ? { step: 'uploading', file: state.file, report: state.report, progress: 0, mapping: state.mapping }
        : state;
    case 'progress':
      return state.step === 'checking' || state.step === 'uploading' ? { ...state, progress: event.fraction } : state;
    case 'uploaded': {
      const { report } = event;
      if (state.step === 'checking')
        // A file imported before is not imported again: the server answers with that import.
        return report.alreadyImported
          ? { step: 'importedBefore', file: state.file, report }
          : { step: 'checked', file: state.file, report, error: null, mapping: state.mapping };
      if (state.step === 'uploading') return { step: 'writing', file: state.file, report };
      return state;
    }
    case 'uploadFailed': {
      if (state.step !== 'checking' && state.step !== 'uploading') return state;
      const { file, mapping } = state;
      // Back to the report there was, if any, with the reason next to the file.
      return state.report
        ? { step: 'checked', file, report: state.report, error: event.message, mapping }
        : { step: 'chosen', file, report: null, error: event.message, mapping };
    }
    case 'finished':
      if (state.step !== 'writing') return state;
      return {
        step: event.job.status === 'completed' ? 'done' : 'failed',
        file: state.file,
        report: state.report,
        job: event.job,
      };
  }
}
