import { beyondLimit, FILE_LIMITS } from './file-limits.js';
import type { WorkbookZip } from './workbook-zip.js';
import { parsePart } from './workbook-xml.js';

const PAGE = 4096;

/**
 * A workbook's shared strings, packed: every 4,096 strings are joined into one and found again by
 * their offsets, so a million short strings cost their characters and 4 bytes each, not a million
 * string objects (and none keeps alive the inflated chunk it was cut from).
 */
export class SharedStrings {
  private readonly pages: string[] = [];
  private readonly offsets: Uint32Array[] = [];
  private current: string[] = [];
  private count = 0;

  get length() {
    return this.count;
  }

  push(text: string) {
    this.current.push(text);
    this.count++;
    if (this.current.length === PAGE) this.seal();
  }

  get(index: number): string | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    const page = Math.floor(index / PAGE);
    if (page === this.pages.length) return this.current[index % PAGE];
    const offsets = this.offsets[page]!;
    return this.pages[page]!.slice(offsets[index % PAGE], offsets[(index % PAGE) + 1]);
  }

  private seal() {
    const offsets = new Uint32Array(PAGE + 1);
    let at = 0;
    this.current.forEach((text, i) => {
      offsets[i] = at;
      at += text.length;
    });
    offsets[PAGE] = at;
    this.pages.push(this.current.join(''));
    this.offsets.push(offsets);
    this.current = [];
  }
}

/**
 * Reads sharedStrings.xml: each `<si>` is plain text (`<t>`) or rich text runs (`<r><t>`), without
 * its phonetic guide (`<rPh>`). Count and characters are bounded as they are read; a string longer
 * than a cell may be is kept cut just past the cell limit, and refused only if a cell uses it.
 */
export async function readSharedStrings(zip: WorkbookZip, part: string): Promise<SharedStrings> {
  const strings = new SharedStrings();
  let text: string | null = null;
  let inText = 0;
  let inPhonetic = 0;
  let chars = 0;
  const handlers = {
    open(name: string) {
      if (name === 'si') {
        if (strings.length >= FILE_LIMITS.sharedStrings) throw beyondLimit('sharedStrings');
        text = '';
      } else if (name === 't') inText++;
      else if (name === 'rPh') inPhonetic++;
    },
    close(name: string) {
      if (name === 'si' && text !== null) {
        strings.push(decodeEscapes(text));
        text = null;
      } else if (name === 't') inText--;
      else if (name === 'rPh') inPhonetic--;
    },
    text(value: string) {
      if (text === null || inText === 0 || inPhonetic > 0) return;
      chars += value.length;
      if (chars > FILE_LIMITS.sharedStringChars) throw beyondLimit('sharedStringChars');
      if (text.length <= FILE_LIMITS.cellChars) text = (text + value).slice(0, FILE_LIMITS.cellChars + 1);
    },
  };
  for await (const _ of parsePart(zip.read(part), part, handlers));
  return strings;
}

/** OOXML writes characters XML cannot hold as `_xHHHH_` (`_x000D_` for a carriage return). */
export function decodeEscapes(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
