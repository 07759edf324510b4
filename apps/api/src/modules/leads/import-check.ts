import type { ColumnMapping, ColumnTarget } from '@crewdesk/contracts';
import type { Dealer } from './distribution.js';
import { readLeadRows, type LeadFileType } from './lead-file.js';
import { checkRows, type ChunkChecker, type FileTally, type ValidLead } from './lead-rows.js';

/** Fresh leads written per statement. */
const WRITE_BATCH = 5000;
/**
 * Batches handed to `write` and not yet written, at most: the next batch is ready on the
 * connection while the server writes the one before it, and no more than that is held.
 */
const QUEUED_BATCHES = 2;

export type DealtLead = ValidLead & { agentId: string };

export interface FileCheckOptions {
  path: string;
  fileType: LeadFileType;
  tally: FileTally;
  dealer: Dealer;
  defaultRegion: string | null;
  mapping?: ColumnMapping;
  savedTargets?: (header: string[]) => Promise<ColumnTarget[] | undefined>;
  checker: ChunkChecker;
  /** Phones among these that some lead already has. */
  existingPhones: (phones: string[]) => Promise<Set<string>>;
  /** Writes a batch of fresh leads; null for a dry run. */
  write: ((leads: DealtLead[]) => Promise<void>) | null;
}

/**
 * Checks a lead file chunk by chunk: each chunk's valid leads are looked up among the existing ones,
 * the fresh ones dealt out and handed to `write`, which runs while the next chunks are checked.
 * Resolves when every row is checked, with a promise that settles when every batch is written.
 */
export async function checkFile(options: FileCheckOptions): Promise<{ writing: Promise<void> }> {
  const { tally, dealer, write } = options;
  let writing = Promise.resolve();
  let writeFailed = false;
  // Fresh leads are written a few thousand at a time: fewer, larger statements.
  let pending: DealtLead[] = [];
  const queued: Promise<void>[] = [];
  const flush = async () => {
    if (!write || pending.length === 0) return;
    const batch = pending;
    pending = [];
    // Handed over at once, while the batches before it are still being written: their statements run
    // in the order they were asked for (`copyIn`). `writing` fails with the first batch that failed
    // (those after it fail only because the transaction is aborted).
    const written = write(batch);
    written.catch(() => {}); // observed through `writing`
    writing = writing.then(() => written);
    // Observed here so a failure waiting for the next batch is not an unhandled rejection.
    writing.catch(() => (writeFailed = true));
    queued.push(written);
    if (queued.length >= QUEUED_BATCHES) await queued.shift()!.catch(() => {});
  };
  const rows = checkRows(readLeadRows(options.path, options.fileType), tally, {
    defaultRegion: options.defaultRegion,
    checker: options.checker,
    mapping: options.mapping,
    savedTargets: options.savedTargets,
    // A check shows the columns to choose from; an import needs every required field placed.
    allowIncomplete: !write,
  });
  try {
    for await (const valid of rows) {
      // On PGlite's single connection this waits for the writes before it; on PostgreSQL it runs
      // alongside them, and `flush` holds checking back while QUEUED_BATCHES wait to be written.
      const existing = await options.existingPhones(valid.map((l) => l.phone));
      if (writeFailed) break;
      const fresh: DealtLead[] = [];
      for (const { row, firstName, phone, notes, cells } of valid) {
        if (existing.has(phone)) {
          tally.validRows--;
          tally.duplicateRows++;
          tally.report({ row, column: 'Phone', message: `${phone} is already a lead; skipped` });
          tally.problemRow(row, `Already a lead (${phone}); skipped`, cells ?? null);
        } else fresh.push({ row, firstName, phone, notes, agentId: dealer.next() });
      }
      if (!write) continue;
      pending.push(...fresh);
      if (pending.length >= WRITE_BATCH) await flush();
    }
    await flush();
  } catch (err) {
    // A failed write aborts the transaction, and every later query fails for that reason.
    throw (
      (await writing.then(
        () => null,
        (writeError: unknown) => writeError,
      )) ?? err
    );
  }
  if (writeFailed) await writing;
  return { writing };
}
