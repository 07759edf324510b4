import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver';

/**
 * An S3-protocol server on loopback (the s3rver package), its objects in a temporary directory,
 * with one bucket. It accepts the access key S3RVER with the secret S3RVER.
 */
export class S3Server {
  private readonly dir = mkdtempSync(join(tmpdir(), 'crewdesk-s3-'));
  private server: { run(): Promise<unknown>; close(): Promise<void> } | null = null;

  constructor(
    readonly port: number,
    readonly bucket = 'backups',
  ) {}

  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The variables an operator sets for an S3-compatible server. */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
  }

  async start() {
    const server = new S3rver({
      port: this.port,
      address: '127.0.0.1',
      silent: true,
      directory: this.dir,
      configureBuckets: [{ name: this.bucket }],
    }) as { run(): Promise<unknown>; close(): Promise<void> };
    await server.run();
    this.server = server;
  }

  async destroy() {
    await this.server?.close();
    this.server = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
