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
      if (head.includes(Buffer.from('[Content_Types].xml')) || head.includes(Buffer.from('xl/'))) return 'xlsx';
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

async function* readCsv(path: string): AsyncGenerator<FileRow> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  // Papa strips a BOM only from string input; left on a stream it breaks a quoted first header ("\uFEFF"FirstName").
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, {
    skipEmptyLines: false,
    beforeFirstChunk: (chunk: string) => chunk.replace(/^\uFEFF/, ''),
  }) as NodeJS.ReadWriteStream;
  stream.pipe(parser);
  let row = 0;
  for await (const record of parser as AsyncIterable<string[]>) {
    row++;
    yield { row, cells: record };
  }
}

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value);
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
