import { posix } from 'node:path';
import { AppError } from '../../shared/errors.js';
import { beyondLimit, FILE_LIMITS, unreadableWorkbook } from './file-limits.js';
import type { FileRow } from './lead-file.js';
import { decodeEscapes, readSharedStrings, SharedStrings } from './shared-strings.js';
import { openWorkbookZip, type WorkbookZip } from './workbook-zip.js';
import { parsePart } from './workbook-xml.js';

const WORKBOOK = 'xl/workbook.xml';

/**
 * Streams the rows of a workbook's first sheet (the first `<sheet>` of xl/workbook.xml, found through
 * its relationships): the index parts first, then the shared strings into memory (bounded), then the
 * sheet row by row as it inflates. Nothing is written to disk. Values come as the cell shows them
 * unformatted: numbers as written (dates stay serial numbers), booleans as true/false, formulas as
 * their cached value, errors as empty cells; missing cells are empty.
 */
export async function* readXlsx(path: string): AsyncGenerator<FileRow> {
  let zip: WorkbookZip | null = null;
  try {
    zip = await openWorkbookZip(path);
    if (!zip.has(WORKBOOK)) throw unreadableWorkbook(`it has no ${WORKBOOK}`);
    const sheetId = await firstSheetId(zip);
    const { sheet, sharedStrings } = await workbookTargets(zip, sheetId);
    if (!zip.has(sheet)) throw unreadableWorkbook(`its first sheet (${sheet}) is missing`);
    const strings =
      sharedStrings && zip.has(sharedStrings) ? await readSharedStrings(zip, sharedStrings) : new SharedStrings();
    yield* readSheet(zip, sheet, strings);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw unreadableWorkbook();
  } finally {
    zip?.close();
  }
}

/** The relationship id of the workbook's first sheet. */
async function firstSheetId(zip: WorkbookZip): Promise<string> {
  let id: string | null = null;
  const handlers = {
    open(name: string, attributes: Record<string, string>) {
      if (name !== 'sheet' || id !== null) return;
      const key = Object.keys(attributes).find((a) => a === 'id' || a.endsWith(':id'));
      id = key ? attributes[key]! : '';
    },
    close() {},
    text() {},
  };
  for await (const _ of parsePart(zip.read(WORKBOOK), WORKBOOK, handlers));
  if (!id) throw unreadableWorkbook('it has no sheet');
  return id;
}

/** Where the first sheet and the shared strings are, from xl/_rels/workbook.xml.rels. */
async function workbookTargets(zip: WorkbookZip, sheetId: string) {
  const rels = `${posix.dirname(WORKBOOK)}/_rels/${posix.basename(WORKBOOK)}.rels`;
  let sheet: string | null = null;
  let sharedStrings: string | null = null;
  const handlers = {
    open(name: string, a: Record<string, string>) {
      if (name !== 'Relationship' || !a.Target) return;
      if (a.Id === sheetId) sheet ??= partOf(a.Target);
      else if (a.Type?.endsWith('/sharedStrings')) sharedStrings ??= partOf(a.Target);
    },
    close() {},
    text() {},
  };
  for await (const _ of parsePart(zip.read(rels), rels, handlers));
  if (!sheet) throw unreadableWorkbook(`${rels} does not say where the first sheet is`);
  return { sheet: sheet as string, sharedStrings: sharedStrings as string | null };
}

/** A relationship's target as a part name: relative to xl/, or absolute from the package root. */
function partOf(target: string): string {
  const part = target.startsWith('/') ? target.slice(1) : posix.join(posix.dirname(WORKBOOK), target);
  const normal = posix.normalize(part);
  if (normal.startsWith('../') || normal.startsWith('/'))
    throw unreadableWorkbook(`it points outside itself (${target})`);
  return normal;
}

/** "C7" → 2; a reference without letters → -1. */
function columnOf(ref: string): number {
  let column = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const code = ref.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    column = column * 26 + (code - 0x60);
    // Past Excel's last column (XFD) and any limit: no need to count further.
    if (column > 1_000_000) break;
  }
  return i === 0 ? -1 : column - 1;
}

async function* readSheet(zip: WorkbookZip, part: string, strings: SharedStrings): AsyncGenerator<FileRow> {
  const rows: FileRow[] = [];
  let lastRow = 0;
  let cells: string[] | null = null;
  let nextColumn = 0;
  // The cell being read.
  let ref = '';
  let column = 0;
  let type = 'n';
  let value: string | null = null;
  let capture = 0; // inside <v>, or <t> of an inline string
  let inPhonetic = 0;

  const cellText = (): string => {
    const raw = value ?? '';
    switch (type) {
      case 's': {
        const text = strings.get(Number(raw));
        if (text === undefined)
          throw unreadableWorkbook(`cell ${ref} refers to shared string ${raw.slice(0, 12)}, which it does not have`);
        return text;
      }
      case 'b':
        return raw === '' ? '' : raw === '1' || raw === 'true' ? 'true' : 'false';
      case 'e':
        return '';
      case 'str':
      case 'inlineStr':
        return decodeEscapes(raw);
      case 'd':
        return raw;
      default: {
        // As a spreadsheet shows a number: 1.50 is 1.5, 4.1555501E10 is 41555501000.
        const n = Number(raw);
        return raw === '' || !Number.isFinite(n) ? raw : String(n);
      }
    }
  };
  const handlers = {
    open(name: string, a: Record<string, string>) {
      switch (name) {
        case 'row':
          lastRow = Number.parseInt(a.r ?? '', 10) || lastRow + 1;
          cells = [];
          nextColumn = 0;
          break;
        case 'c': {
          ref = a.r ?? '';
          const at = columnOf(ref);
          column = at >= 0 ? at : nextColumn;
          ref ||= `#${column + 1}`;
          type = a.t ?? 'n';
          value = null;
          break;
        }
        case 'v':
          capture++;
          value ??= '';
          break;
        case 't':
          if (type === 'inlineStr') {
            capture++;
            value ??= '';
          }
          break;
        case 'rPh':
          inPhonetic++;
          break;
      }
    },
    close(name: string) {
      switch (name) {
        case 'c': {
          const text = value === null ? '' : cellText();
          nextColumn = column + 1;
          if (text === '' || !cells) break;
          if (text.length > FILE_LIMITS.cellChars) throw beyondLimit('cellChars', `cell ${ref}`);
          if (column >= FILE_LIMITS.columns) throw beyondLimit('columns', `cell ${ref}`);
          while (cells.length < column) cells.push('');
          cells[column] = text;
          break;
        }
        case 'row':
          if (cells && cells.length > 0) rows.push({ row: lastRow, cells });
          cells = null;
          break;
        case 'v':
          capture--;
          break;
        case 't':
          if (type === 'inlineStr') capture--;
          break;
        case 'rPh':
          inPhonetic--;
          break;
      }
    },
    text(text: string) {
      if (capture <= 0 || inPhonetic > 0 || value === null) return;
      if (value.length + text.length > FILE_LIMITS.cellChars) throw beyondLimit('cellChars', `cell ${ref}`);
      value += text;
    },
  };
  for await (const _ of parsePart(zip.read(part), part, handlers)) {
    // The rows the last chunk completed; the handlers fill the same array again after this.
    for (const row of rows) yield row;
    rows.length = 0;
  }
}
