import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** The S3 client's settings from config.ts (the SDK's standard AWS_* variables). */
export interface S3Settings {
  region: string | null;
  endpoint: string | null;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
}

/** Where backups go: a directory, or a bucket and a prefix. */
export interface BackupStore {
  /** How the operator names it (a path or s3://bucket/prefix). */
  readonly location: string;
  /** Stores the finished archive `file` under `name`; returns where it is. */
  put(file: string, name: string): Promise<string>;
  /** Names of everything directly in the location (retention picks Crewdesk's own). */
  list(): Promise<string[]>;
  remove(names: string[]): Promise<void>;
}

export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`not an s3:// URL: ${url}`);
  return { bucket: match[1]!, key: match[2]!.replace(/\/+$/, '') };
}

export function s3Client(settings: S3Settings): S3Client {
  const config: S3ClientConfig = {
    region: settings.region ?? 'us-east-1',
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
  if (settings.endpoint) {
    // An S3-compatible server (MinIO, Ceph, s3rver…): bucket in the path, not in the host name, and
    // checksums only where S3 requires them (many such servers do not know the newer headers).
    Object.assign(config, {
      endpoint: settings.endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }
  return new S3Client(config);
}

export function directoryStore(dir: string): BackupStore {
  const root = resolve(dir);
  return {
    location: root,
    async put(file, name) {
      await mkdir(root, { recursive: true });
      const target = join(root, name);
      const partial = join(root, `.${name}.partial`);
      // Renamed into place once complete: a crash or a full disk never leaves a truncated archive
      // under a backup's name (retention would count it).
      try {
        await rename(file, partial);
      } catch {
        await copyFile(file, partial);
        await rm(file, { force: true });
      }
      await rename(partial, target);
      return target;
    },
    async list() {
      return readdir(root).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
    },
    async remove(names) {
      for (const name of names) await rm(join(root, name), { force: true });
    },
  };
}

export function s3Store(url: string, settings: S3Settings): BackupStore {
  const { bucket, key: prefix } = parseS3Url(url);
  const client = s3Client(settings);
  const keyOf = (name: string) => (prefix ? `${prefix}/${name}` : name);
  return {
    location: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    async put(file, name) {
      // Multipart for large archives, streamed from the file; S3 shows the object only once complete.
      await new Upload({
        client,
        params: { Bucket: bucket, Key: keyOf(name), Body: createReadStream(file), ContentType: 'application/gzip' },
      }).done();
      await rm(file, { force: true });
      return `s3://${bucket}/${keyOf(name)}`;
    },
    async list() {
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix ? `${prefix}/` : undefined,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) names.push(basename(object.Key));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return names;
    },
    async remove(names) {
      for (let i = 0; i < names.length; i += 1000) {
        await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: names.slice(i, i + 1000).map((name) => ({ Key: keyOf(name) })) },
          }),
        );
      }
    },
  };
}

/** Downloads s3://bucket/key into `file`. */
export async function downloadS3(url: string, settings: S3Settings, file: string) {
  const { bucket, key } = parseS3Url(url);
  const client = s3Client(settings);
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(object.Body as Readable, createWriteStream(file));
  } finally {
    client.destroy();
  }
}
