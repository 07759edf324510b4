import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { filesIn } from './support.js';
import { XML_HEAD, workbookEntries, xlsxWith, type CellInput } from './xlsx-files.js';
import { repeatedDeflate, zipOf, type ZipEntry } from './zip-writer.js';

export const MiB = 1024 * 1024;
const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

/**
 * A part whose XML is `before`, then `unit` `copies` times, then `after`, deflated without ever
 * being built: 200 MiB of XML this way takes a few hundred KiB and no memory to make.
 */
export function repeatedPart(
  name: string,
  xml: { before: string; unit: string; copies: number; after: string },
  declaredSize?: number,
): ZipEntry {
  const { compressed, size, crc } = repeatedDeflate(Buffer.from(xml.unit), xml.copies, xml);
  return { name, compressed, crc, declaredSize: declaredSize ?? size };
}

/** A shared-string table of `copies` × `perUnit` strings of `text`, and the size it inflates to. */
export function sharedStringsBomb(text: string, perUnit: number, copies: number, declaredSize?: number) {
  return repeatedPart(
    'xl/sharedStrings.xml',
    {
      before: `${XML_HEAD}<sst xmlns="${MAIN}"><si><t>FirstName</t></si><si><t>Phone</t></si>`,
      unit: `<si><t>${text}</t></si>`.repeat(perUnit),
      copies,
      after: '</sst>',
    },
    declaredSize,
  );
}

/**
 * A sheet whose header row names the columns, then `before`, `copies` × `unit` of raw sheet XML and
 * `after`.
 */
export function sheetBomb(
  unit: string,
  copies: number,
  options: { declaredSize?: number; before?: string; after?: string } = {},
) {
  return repeatedPart(
    'xl/worksheets/sheet1.xml',
    {
      before:
        `${XML_HEAD}<worksheet xmlns="${MAIN}"><sheetData>` +
        '<row r="1"><c r="A1" t="inlineStr"><is><t>FirstName</t></is></c><c r="B1" t="inlineStr"><is><t>Phone</t></is></c></row>' +
        (options.before ?? ''),
      unit,
      copies,
      after: `${options.after ?? ''}</sheetData></worksheet>`,
    },
    options.declaredSize,
  );
}

/** The sheet part of a one-sheet workbook, written by hand. */
export function sheetPart(rowsXml: string): ZipEntry {
  return {
    name: 'xl/worksheets/sheet1.xml',
    data: `${XML_HEAD}<worksheet xmlns="${MAIN}"><sheetData>${rowsXml}</sheetData></worksheet>`,
  };
}

/** A workbook of the usual parts with some replaced (by name) or added. */
export function workbookWith(...parts: ZipEntry[]): Buffer {
  const names = new Set(parts.map((p) => p.name));
  const header: CellInput[][] = [['FirstName', 'Phone']];
  return zipOf([...workbookEntries([{ name: 'Leads', rows: header }]).filter((e) => !names.has(e.name)), ...parts]);
}

export { xlsxWith };

export interface Measured<T> {
  result: T;
  /** Peak RSS during the call, over the RSS before it, in MiB. */
  rssGrowthMiB: number;
  heapGrowthMiB: number;
}

/** Runs `work`, sampling RSS and heap every few milliseconds, and reports the peak growth. */
export async function measureMemory<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const before = process.memoryUsage();
  let rss = before.rss;
  let heap = before.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss);
    heap = Math.max(heap, now.heapUsed);
  };
  const timer = setInterval(sample, 5);
  try {
    const result = await work();
    sample();
    return { result, rssGrowthMiB: (rss - before.rss) / MiB, heapGrowthMiB: (heap - before.heapUsed) / MiB };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Points os.tmpdir() (and so every library that writes temporary files) at a directory of this test
 * file's own while it runs, so its files can be counted without other processes' in /tmp.
 */
export function privateTmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-tmp-'));
  const saved = process.env.TMPDIR;
  beforeAll(() => {
    process.env.TMPDIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/**
 * What is in the temporary directory, less the TypeScript loader's compile cache (`tsx-<uid>`, made
 * by the row-checking threads as they boot under tsx): the files a request could have left.
 */
export const tempFilesIn = (dir: string) => filesIn(dir).filter((name) => !/^tsx-\d+$/.test(name));
