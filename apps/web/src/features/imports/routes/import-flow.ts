import type { ImportReport, LeadImport } from '@crewdesk/contracts';

/**
 * The import page's steps: choose a file → check it (a dry run that finds every problem and plans
 * the shares) → confirm → upload → the server writes the leads → done, or failed. Each state holds
 * what its screen shows; `report` is the last answer from the server, kept on screen until another
 * file is chosen.
 */
export type ImportFlow =
  | { step: 'idle' }
  /** A file to check. A report here is from before the agents were changed; checking again replaces it. */
  | { step: 'chosen'; file: File; report: ImportReport | null; error: string | null }
  | { step: 'checking'; file: File; report: ImportReport | null; progress: number }
  /** The dry run's report, waiting for the user to confirm. */
  | { step: 'checked'; file: File; report: ImportReport; error: string | null }
  | { step: 'uploading'; file: File; report: ImportReport; progress: number }
  /** The server has the file and writes the leads; `report.id` is the import to watch. */
  | { step: 'writing'; file: File; report: ImportReport }
  | { step: 'done' | 'failed'; file: File; report: ImportReport; job: LeadImport };

export type ImportEvent =
  | { type: 'choose'; file: File }
  /** The agents to share among changed: a report that planned other shares needs a new check. */
  | { type: 'agentsChanged' }
  | { type: 'check' }
  | { type: 'confirm' }
  | { type: 'progress'; fraction: number }
  | { type: 'uploaded'; report: ImportReport }
  | { type: 'uploadFailed'; message: string }
  /** The import the server was writing is no longer processing. */
  | { type: 'finished'; job: LeadImport };

export const initialImportFlow: ImportFlow = { step: 'idle' };

/** An event that does not fit the current step (a late answer for a file no longer chosen) changes nothing. */
export function importFlow(state: ImportFlow, event: ImportEvent): ImportFlow {
  switch (event.type) {
    case 'choose':
      return { step: 'chosen', file: event.file, report: null, error: null };
    case 'agentsChanged':
      return state.step === 'checked' ? { ...state, step: 'chosen' } : state;
    case 'check':
      return state.step === 'chosen'
        ? { step: 'checking', file: state.file, report: state.report, progress: 0 }
        : state;
    case 'confirm':
      return state.step === 'checked'
        ? { step: 'uploading', file: state.file, report: state.report, progress: 0 }
        : state;
    case 'progress':
      return state.step === 'checking' || state.step === 'uploading' ? { ...state, progress: event.fraction } : state;
    case 'uploaded': {
      const { report } = event;
      if (state.step === 'checking')
        // A file imported before is not imported again: the server answers with that import.
        return report.alreadyImported
          ? { step: 'writing', file: state.file, report }
          : { step: 'checked', file: state.file, report, error: null };
      if (state.step === 'uploading') return { step: 'writing', file: state.file, report };
      return state;
    }
    case 'uploadFailed':
      if (state.step !== 'checking' && state.step !== 'uploading') return state;
      // Back to the report there was, if any, with the reason next to the file.
      return state.report
        ? { step: 'checked', file: state.file, report: state.report, error: event.message }
        : { step: 'chosen', file: state.file, report: null, error: event.message };
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
