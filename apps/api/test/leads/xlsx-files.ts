import { zipOf, type ZipEntry } from './zip-writer.js';

/**
 * Workbooks for tests and benchmarks, written part by part as Excel lays them out (content types,
 * relationships, workbook, shared strings, sheets), so each part can also be replaced by a crafted one.
 */
export type CellInput =
  | string
  | number
  | boolean
  | null
  | undefined
  | { rich: string[] }
  | { formula: string; result?: string | number | boolean }
  | { inline: string }
  | { error: string };

export interface SheetInput {
  name: string;
  rows: CellInput[][];
}

export interface WorkbookOptions {
  /** Strings as shared strings (Excel's way, the default) or inline strings. */
  sharedStrings?: boolean;
  /** Parts written after the sheets (as exceljs does), so a streaming reader meets the sheets first. */
  indexLast?: boolean;
}

export const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';

export const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const textElement = (text: string) =>
  /^\s|\s$/.test(text) ? `<t xml:space="preserve">${escapeXml(text)}</t>` : `<t>${escapeXml(text)}</t>`;

/** A1-style column letters of a zero-based column index. */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** The shared-string table, each item kept as the XML inside its `<si>`. */
class SharedStrings {
  readonly items: string[] = [];
  private readonly index = new Map<string, number>();
  constructor(readonly enabled: boolean) {}
  add(text: string): number {
    return this.addXml(textElement(text));
  }
  /** Rich text: runs, every other one bold, as Excel writes formatted text. */
  addRich(runs: string[]): number {
    return this.addXml(runs.map((text, i) => `<r>${i % 2 ? '<rPr><b/></rPr>' : ''}${textElement(text)}</r>`).join(''));
  }
  private addXml(xml: string): number {
    let at = this.index.get(xml);
    if (at === undefined) {
      at = this.items.push(xml) - 1;
      this.index.set(xml, at);
    }
    return at;
  }
  xml(): string {
    const items = this.items.map((item) => `<si>${item}</si>`).join('');
    return `${XML_HEAD}<sst xmlns="${MAIN}" count="${this.items.length}" uniqueCount="${this.items.length}">${items}</sst>`;
  }
}

function cellXml(ref: string, value: CellInput, strings: SharedStrings): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') {
    if (!strings.enabled) return `<c r="${ref}" t="inlineStr"><is>${textElement(value)}</is></c>`;
    return `<c r="${ref}" t="s"><v>${strings.add(value)}</v></c>`;
  }
  if (typeof value === 'number') return `<c r="${ref}"><v>${value}</v></c>`;
  if (typeof value === 'boolean') return `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
  // Rich text is a shared string in Excel's files.
  if ('rich' in value) return `<c r="${ref}" t="s"><v>${strings.addRich(value.rich)}</v></c>`;
  if ('inline' in value) return `<c r="${ref}" t="inlineStr"><is>${textElement(value.inline)}</is></c>`;
  if ('error' in value) return `<c r="${ref}" t="e"><v>${escapeXml(value.error)}</v></c>`;
  const formula = `<f>${escapeXml(value.formula)}</f>`;
  if (value.result === undefined) return `<c r="${ref}">${formula}</c>`;
  if (typeof value.result === 'string') return `<c r="${ref}" t="str">${formula}<v>${escapeXml(value.result)}</v></c>`;
  if (typeof value.result === 'boolean') return `<c r="${ref}" t="b">${formula}<v>${value.result ? 1 : 0}</v></c>`;
  return `<c r="${ref}">${formula}<v>${value.result}</v></c>`;
}

/** A worksheet part; empty rows and empty cells are left out, as Excel does. */
export function sheetXml(rows: CellInput[][], strings = new SharedStrings(true)): string {
  const body = rows
    .map((cells, r) => {
      const xml = cells.map((value, c) => cellXml(`${columnName(c)}${r + 1}`, value, strings)).join('');
      return xml ? `<row r="${r + 1}">${xml}</row>` : '';
    })
    .join('');
  return `${XML_HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${REL}"><sheetData>${body}</sheetData></worksheet>`;
}

export function workbookEntries(sheets: SheetInput[], options: WorkbookOptions = {}): ZipEntry[] {
  const strings = new SharedStrings(options.sharedStrings ?? true);
  const sheetParts = sheets.map((sheet, i) => ({
    name: `xl/worksheets/sheet${i + 1}.xml`,
    data: sheetXml(sheet.rows, strings),
  }));
  const useStrings = strings.items.length > 0;
  const index: ZipEntry[] = [
    {
      name: 'xl/workbook.xml',
      data:
        `${XML_HEAD}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><sheets>` +
        sheets.map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('') +
        '</sheets></workbook>',
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data:
        `${XML_HEAD}<Relationships xmlns="${PKG_REL}">` +
        sheets
          .map(
            (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
          )
          .join('') +
        (useStrings
          ? `<Relationship Id="rId${sheets.length + 1}" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/>`
          : '') +
        '</Relationships>',
    },
    ...(useStrings ? [{ name: 'xl/sharedStrings.xml', data: strings.xml() }] : []),
  ];
  const head: ZipEntry[] = [
    {
      name: '[Content_Types].xml',
      data:
        `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '</Types>',
    },
    {
      name: '_rels/.rels',
      data: `${XML_HEAD}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
  ];
  return options.indexLast ? [...head, ...sheetParts, ...index] : [...head, ...index, ...sheetParts];
}

export function workbookOf(sheets: SheetInput[], options: WorkbookOptions = {}): Buffer {
  return zipOf(workbookEntries(sheets, options));
}

/** A one-sheet workbook holding the rows (strings as shared strings, numbers as numbers). */
export function xlsxOf(rows: CellInput[][], sheetName = 'Leads', options: WorkbookOptions = {}): Buffer {
  return workbookOf([{ name: sheetName, rows }], options);
}

/** The parts of a one-sheet workbook with some of them replaced or added, zipped. */
export function xlsxWith(rows: CellInput[][], replace: Record<string, ZipEntry | null>): ZipEntry[] {
  const entries = workbookEntries([{ name: 'Leads', rows }]).filter((e) => !(e.name in replace));
  return [...entries, ...Object.values(replace).filter((e): e is ZipEntry => e !== null)];
}
