import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../shared/errors.js';

export interface StoredUpload {
  path: string;
  sha256: string;
  bytes: number;
  discard: () => Promise<void>;
}

/**
 * Writes an upload to a server-chosen name under `dir` while hashing it. Over `maxBytes` the
 * partial file is deleted and the request fails with 413; nothing of it is kept.
 */
export async function storeUpload(
  stream: Readable & { truncated?: boolean },
  dir: string,
  maxBytes: number,
): Promise<StoredUpload> {
  const path = join(dir, `.incoming-${randomUUID()}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const discard = () => rm(path, { force: true });
  try {
    await pipeline(stream, meter, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    await discard();
    throw err;
  }
  if (stream.truncated || bytes > maxBytes) {
    await discard();
    throw new AppError(
      'payload_too_large',
      `The file is larger than the ${maxBytes >= 1048576 ? `${Math.floor(maxBytes / 1048576)} MiB` : `${Math.floor(maxBytes / 1024)} KiB`} limit`,
    );
  }
  return { path, sha256: hash.digest('hex'), bytes, discard };
}

/**
 * Creates the upload folder, and removes partial uploads a crashed process left behind (only those
 * older than an hour, so another replica's upload in progress is never touched).
 */
export async function prepareUploadDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const hourAgo = Date.now() - 3_600_000;
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.incoming-')) continue;
    const path = join(dir, name);
    const modified = (await stat(path).catch(() => null))?.mtimeMs;
    if (modified !== undefined && modified < hourAgo) await rm(path, { force: true });
  }
}
