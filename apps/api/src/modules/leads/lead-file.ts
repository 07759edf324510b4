import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, Transform } from 'node:stream';
import Papa from 'papaparse';
import { AppError } from '../../shared/errors.js';
import { beyondLimit, FILE_LIMITS } from './file-limits.js';
import { readXlsx } from './xlsx-rows.js';

export type LeadFileType = 'csv' | 'xlsx';
export interface FileRow {
  /** The row's number as a spreadsheet shows it: the header is row 1. */
  row: number;
  cells: string[];
}

const SNIFF_BYTES = 64 * 1024;
const notALeadFile = () =>
  new AppError('unsupported_media_type', 'The file is neither CSV (UTF-8 text) nor an Excel workbook (.xlsx)');
const notUtf8 = () =>
  new AppError('unsupported_media_type', 'The CSV is not UTF-8 text; save it as "CSV UTF-8" and upload again');

/** Decides the type from the bytes, never from the name or the declared mimetype. */
export async function sniffLeadFile(path: string): Promise<LeadFileType> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    const head = buffer.subarray(0, bytesRead);
    if (bytesRead === 0) throw new AppError('bad_request', 'The file is empty');
    // XLSX is a ZIP whose entries include the workbook part; a random ZIP is not a lead list.
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
      // Word and PowerPoint files are ZIPs with [Content_Types].xml too; only a workbook has xl/ parts.
      if (head.includes(Buffer.from('xl/'))) return 'xlsx';
      throw notALeadFile();
    }
    // Excel's "Unicode Text" is UTF-16 with a byte-order mark.
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
      throw new AppError('unsupported_media_type', 'The file is UTF-16 text; save it as "CSV UTF-8" and upload again');
    }
    if (head.includes(0)) throw notALeadFile();
    // A multi-byte character may be cut at the end of the sample; only the bytes before it must decode.
    const sample = bytesRead === SNIFF_BYTES ? head.subarray(0, bytesRead - 4) : head;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample);
    } catch {
      throw notUtf8();
    }
    const text = sample.toString('utf8');
    // eslint-disable-next-line no-control-regex -- counting control characters is the point
    const controls = text.replace(/[\t\r\n]/g, '').match(/[\u0000-\u001f\u007f]/g)?.length ?? 0;
    if (controls > text.length / 100) throw notALeadFile();
    return 'csv';
  } finally {
    await handle.close();
  }
}

/** Streams the rows of the file, so memory does not grow with its size. */
export function readLeadRows(path: string, type: LeadFileType): AsyncGenerator<FileRow> {
  return type === 'csv' ? readCsv(path) : readXlsx(path);
}

/**
 * The file as text, decoded as it streams: a byte that is not UTF-8 or a NUL anywhere (not only in the
 * sniffed head, as in a text file with a ZIP appended) fails the read. The decoder drops a BOM.
 */
function utf8Text(path: string) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const check = (text: string) => {
    if (text.includes('\u0000')) throw notALeadFile();
    return text;
  };
  const text = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      try {
        const decoded = check(decoder.decode(chunk, { stream: true }));
        done(null, decoded || undefined);
      } catch (err) {
        done(err instanceof AppError ? err : notUtf8());
      }
    },
    flush(done) {
      try {
        done(null, check(decoder.decode()) || undefined);
      } catch (err) {
        done(err instanceof AppError ? err : notUtf8());
      }
    },
  });
  return pipeline(createReadStream(path), text, () => {});
}

/**
 * Papaparse's chunk callback, bridged to an async generator. (Its duplex-stream mode re-scans
 * buffered input and was 50× slower on 100,000 rows.) The file stream pauses while parsed batches
 * wait unread, so memory stays bounded by a few chunks whatever the file size. Papaparse parses an
 * unfinished row again with each chunk, so a row may not grow past FILE_LIMITS.csvRowChars.
 */
async function* readCsv(path: string): AsyncGenerator<FileRow> {
  const input = utf8Text(path);
  let received = 0;
  input.on('data', (chunk: string) => (received += chunk.length));
  const batches: string[][][] = [];
  let finished = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  Papa.parse(input, {
    skipEmptyLines: false,
    chunk: (results: Papa.ParseResult<string[]>, parser: Papa.Parser) => {
      // What papaparse holds back is the row it has not seen the end of (the count runs at most a
      // chunk or two ahead of it).
      if (received - results.meta.cursor > FILE_LIMITS.csvRowChars) {
        failure = beyondLimit('csvRowChars');
        parser.abort();
      } else if (results.errors.some((e) => e.code === 'MissingQuotes')) {
        failure = new AppError('validation', 'The CSV ends inside a quoted cell: a quote (") is never closed', {
          errors: [{ path: 'file', message: 'A quote (") opens a cell and is never closed' }],
        });
        parser.abort();
      } else {
        batches.push(results.data);
        if (batches.length >= 4) input.pause();
      }
      notify();
    },
    complete: () => {
      finished = true;
      notify();
    },
    error: (err: Error) => {
      failure = err;
      notify();
    },
  });
  let row = 0;
  try {
    for (;;) {
      const batch = batches.shift();
      if (batch) {
        if (batches.length < 2 && input.isPaused()) input.resume();
        for (const cells of batch) {
          row++;
          if (cells.length > FILE_LIMITS.columns && lastFilled(cells) >= FILE_LIMITS.columns) {
            throw beyondLimit('columns', `row ${row}`);
          }
          yield { row, cells };
        }
      } else if (failure) {
        throw failure;
      } else if (finished) {
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    input.destroy();
  }
}

/** The index of the last cell that is not empty (exporters pad rows with empty cells). */
function lastFilled(cells: string[]): number {
  let i = cells.length - 1;
  while (i >= 0 && cells[i] === '') i--;
  return i;
}
