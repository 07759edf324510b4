import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { AppError } from '../../shared/errors.js';

export type LeadFileType = 'csv' | 'xlsx';
export interface FileRow {
  /** The row's number as a spreadsheet shows it: the header is row 1. */
  row: number;
  cells: string[];
}

const SNIFF_BYTES = 64 * 1024;
const notALeadFile = () =>
  new AppError('unsupported_media_type', 'The file is neither CSV (UTF-8 text) nor an Excel workbook (.xlsx)');

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
    if (head.includes(0)) throw notALeadFile();
    // A multi-byte character may be cut at the end of the sample; only the bytes before it must decode.
    const sample = bytesRead === SNIFF_BYTES ? head.subarray(0, bytesRead - 4) : head;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample);
    } catch {
      throw new AppError(
        'unsupported_media_type',
        'The CSV is not UTF-8 text; save it as "CSV UTF-8" and upload again',
      );
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
 * Papaparse's chunk callback, bridged to an async generator. (Its duplex-stream mode re-scans
 * buffered input and was 50× slower on 100,000 rows.) The file stream pauses while parsed batches
 * wait unread, so memory stays bounded by a few chunks whatever the file size.
 */
async function* readCsv(path: string): AsyncGenerator<FileRow> {
  const input = createReadStream(path, { encoding: 'utf8' });
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
    // Papa strips a BOM only from string input; left on a stream it breaks a quoted first header ("\uFEFF"FirstName).
    beforeFirstChunk: (chunk: string) => chunk.replace(/^\uFEFF/, ''),
    chunk: (results: Papa.ParseResult<string[]>) => {
      batches.push(results.data);
      if (batches.length >= 4) input.pause();
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
        for (const cells of batch) yield { row: ++row, cells };
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

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((r) => r.text).join('');
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
  if ('error' in value) return '';
  return String(value);
}

async function* readXlsx(path: string): AsyncGenerator<FileRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  try {
    for await (const worksheet of reader) {
      for await (const row of worksheet as AsyncIterable<ExcelJS.Row>) {
        const values = Array.isArray(row.values) ? row.values.slice(1) : [];
        yield { row: row.number, cells: values.map((v) => cellText(v as ExcelJS.CellValue)) };
      }
      return; // the first sheet is the lead list
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('unsupported_media_type', 'The workbook could not be read; is it a valid .xlsx file?');
  }
}
