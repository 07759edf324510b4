import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../../shared/errors.js';
import { beyondLimit, FILE_LIMITS, unreadableWorkbook } from './file-limits.js';

/** The parts of an XLSX, read from its central directory; each part inflates only when read. */
export interface WorkbookZip {
  has(part: string): boolean;
  /** A part's text as it inflates, counted against the limits, never held whole. */
  read(part: string): AsyncGenerator<string>;
  close(): void;
}

const STORED = 0;
const DEFLATED = 8;

/**
 * Opens the ZIP through its central directory (yauzl reads entries at their recorded offsets, so no
 * part is unpacked to disk or held in memory). Refuses, before anything inflates, an archive of too
 * many entries, with two entries of one name (two readers could see two different files), or whose
 * declared sizes add up beyond the limit; a name leaving the archive (`../`, `/etc/…`) is yauzl's
 * refusal. The declared sizes are then not trusted: `read` counts what actually inflates.
 */
export async function openWorkbookZip(path: string): Promise<WorkbookZip> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: false });
  } catch (err) {
    throw zipError(err);
  }
  try {
    if (zip.entryCount > FILE_LIMITS.zipEntries) throw beyondLimit('zipEntries');
    const entries = new Map<string, Entry>();
    let declared = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        // Part names are case-insensitive (Open Packaging Conventions).
        const name = entry.fileName.toLowerCase();
        if (entries.has(name)) throw unreadableWorkbook(`it has two parts named "${clip(entry.fileName)}"`);
        entries.set(name, entry);
        declared += entry.uncompressedSize;
        if (declared > FILE_LIMITS.inflatedBytes) throw beyondLimit('inflatedBytes');
      }
    } catch (err) {
      throw zipError(err);
    }
    return workbookZip(zip, entries);
  } catch (err) {
    zip.close();
    throw err;
  }
}

function workbookZip(zip: ZipFile, entries: Map<string, Entry>): WorkbookZip {
  let inflated = 0;
  return {
    has: (part) => entries.has(part.toLowerCase()),
    close: () => zip.close(),
    async *read(part) {
      const entry = entries.get(part.toLowerCase());
      if (!entry) throw unreadableWorkbook(`it has no ${part}`);
      if (entry.isEncrypted()) throw unreadableWorkbook('it is encrypted; save it without a password and upload again');
      if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
        throw unreadableWorkbook(
          `${part} uses compression method ${entry.compressionMethod}, which .xlsx files do not use`,
        );
      }
      if (entry.uncompressedSize > FILE_LIMITS.entryInflatedBytes) throw beyondLimit('entryInflatedBytes', part);
      let stream: Readable;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (err) {
        throw zipError(err);
      }
      const decoder = new TextDecoder('utf-8', { fatal: true });
      let bytes = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          inflated += chunk.length;
          if (bytes > entry.uncompressedSize)
            throw unreadableWorkbook(
              `${part} inflates beyond the ${entry.uncompressedSize.toLocaleString('en')} bytes it declares`,
            );
          if (bytes > FILE_LIMITS.entryInflatedBytes) throw beyondLimit('entryInflatedBytes', part);
          if (inflated > FILE_LIMITS.inflatedBytes) throw beyondLimit('inflatedBytes');
          yield decode(decoder, part, chunk);
        }
        if (bytes !== entry.uncompressedSize) throw unreadableWorkbook(`${part} is shorter than it declares`);
        const rest = decode(decoder, part);
        if (rest) yield rest;
      } catch (err) {
        throw zipError(err);
      } finally {
        // Stops the inflating at once when the reader gives up (a limit, an error, or enough rows).
        stream.destroy();
      }
    },
  };
}

function decode(decoder: TextDecoder, part: string, chunk?: Buffer): string {
  try {
    return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
  } catch {
    throw unreadableWorkbook(`${part} is not UTF-8 text`);
  }
}

const clip = (name: string) => (name.length > 60 ? `${name.slice(0, 60)}…` : name);

/** yauzl's and zlib's failures, told as what is wrong with the file. */
function zipError(err: unknown) {
  if (err instanceof AppError || !(err instanceof Error)) return err;
  const message = err.message;
  if (/^(absolute path|invalid relative path)/.test(message)) {
    return unreadableWorkbook(`it has a part named outside the archive (${clip(message.replace(/^[^:]*: /, ''))})`);
  }
  if (/zip64|multi-disk|end of central directory|signature/i.test(message)) {
    return unreadableWorkbook('it is not a complete ZIP archive (cut short or damaged)');
  }
  if ('code' in err && typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return unreadableWorkbook('a part of it is damaged (it does not inflate)');
  }
  return unreadableWorkbook();
}
