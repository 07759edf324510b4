import { crc32, deflateRawSync } from 'node:zlib';

/**
 * A minimal ZIP writer for test fixtures. Libraries write only honest archives; these tests also need
 * crafted ones (sizes that lie, encryption flags, unknown methods, zip64 records, duplicate names),
 * so every header field can be overridden.
 */
export interface ZipEntry {
  name: string;
  data?: Buffer | string;
  /** 0 stored, 8 deflated (default), anything else to test unsupported methods. */
  method?: number;
  /** Raw deflate bytes to store as the entry's data, for entries too large to build in memory. */
  compressed?: Buffer;
  /** The uncompressed size the headers declare (default: the real one). */
  declaredSize?: number;
  crc?: number;
  /** General-purpose flags; bit 0 says "encrypted". */
  flags?: number;
}

export interface ZipOptions {
  /** Write zip64 records (sizes and offsets in the zip64 extra field and end records). */
  zip64?: boolean;
  /** The entry count the end record claims (default: the real one). */
  declaredEntries?: number;
  /** Bytes before the first entry (offsets account for them, as in a self-extracting archive). */
  prefix?: Buffer;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
// 1980-01-01 00:00 in DOS format.
const DOS_TIME = u16(0);
const DOS_DATE = u16((0 << 9) | (1 << 5) | 1);

export function zipOf(entries: ZipEntry[], options: ZipOptions = {}): Buffer {
  const { zip64 = false, prefix = Buffer.alloc(0) } = options;
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = prefix.length;
  for (const entry of entries) {
    const raw = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : (entry.data ?? Buffer.alloc(0));
    const method = entry.method ?? 8;
    const data = entry.compressed ?? (method === 8 ? deflateRawSync(raw, { level: 6 }) : raw);
    const size = entry.declaredSize ?? raw.length;
    const crc = entry.crc ?? crc32(raw);
    const name = Buffer.from(entry.name, 'utf8');
    const flags = (entry.flags ?? 0) | 0x800; // names are UTF-8
    const version = u16(zip64 ? 45 : 20);
    const localExtra = zip64 ? Buffer.concat([u16(1), u16(16), u64(size), u64(data.length)]) : Buffer.alloc(0);
    const sizes = zip64 ? [u32(0xffffffff), u32(0xffffffff)] : [u32(data.length), u32(size)];
    const local = Buffer.concat([
      u32(0x04034b50),
      version,
      u16(flags),
      u16(method),
      DOS_TIME,
      DOS_DATE,
      u32(crc),
      ...sizes,
      u16(name.length),
      u16(localExtra.length),
      name,
      localExtra,
    ]);
    const centralExtra = zip64
      ? Buffer.concat([u16(1), u16(24), u64(size), u64(data.length), u64(offset)])
      : Buffer.alloc(0);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(zip64 ? 45 : 20),
        version,
        u16(flags),
        u16(method),
        DOS_TIME,
        DOS_DATE,
        u32(crc),
        ...sizes,
        u16(name.length),
        u16(centralExtra.length),
        u16(0), // comment
        u16(0), // disk
        u16(0), // internal attributes
        u32(0), // external attributes
        u32(zip64 ? 0xffffffff : offset),
        name,
        centralExtra,
      ]),
    );
    locals.push(local, data);
    offset += local.length + data.length;
  }
  const directory = Buffer.concat(central);
  const count = options.declaredEntries ?? entries.length;
  const tail: Buffer[] = [];
  if (zip64) {
    const recordAt = offset + directory.length;
    tail.push(
      u32(0x06064b50),
      u64(44),
      u16(45),
      u16(45),
      u32(0),
      u32(0),
      u64(count),
      u64(count),
      u64(directory.length),
      u64(offset),
      u32(0x07064b50),
      u32(0),
      u64(recordAt),
      u32(1),
    );
  }
  const small = (n: number, max: number) => (zip64 || n > max ? max : n);
  tail.push(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(small(count, 0xffff)),
    u16(small(count, 0xffff)),
    u32(small(directory.length, 0xffffffff)),
    u32(small(offset, 0xffffffff)),
    u16(0),
  );
  return Buffer.concat([prefix, ...locals, directory, ...tail]);
}

/**
 * Raw deflate data that inflates to `copies` repetitions of `unit` without building them: one
 * compressed copy ending in a full flush (no back-references across it) repeated, then an empty
 * final block. 200 MiB of repeated XML this way is a few hundred KiB.
 */
export function repeatedDeflate(
  unit: Buffer,
  copies: number,
  around: { before?: string; after?: string } = {},
): { compressed: Buffer; size: number; crc: number } {
  const before = Buffer.from(around.before ?? '');
  const after = Buffer.from(around.after ?? '');
  const flush = (data: Buffer) => deflateRawSync(data, { level: 9, finishFlush: 3 /* Z_FULL_FLUSH */ });
  const block = flush(unit);
  let crc = crc32(before);
  for (let i = 0; i < copies; i++) crc = crc32(unit, crc);
  crc = crc32(after, crc);
  const compressed = Buffer.concat([
    flush(before),
    ...Array.from({ length: copies }, () => block),
    deflateRawSync(after),
  ]);
  return { compressed, size: before.length + unit.length * copies + after.length, crc };
}
