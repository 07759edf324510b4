import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createUser, useTestApp } from '../helper.js';
import { privateTmpDir, sharedStringsBomb, sheetPart, tempFilesIn, workbookWith } from './file-bombs.js';
import {
  createAgent,
  dryRun,
  expectProblem,
  filesIn,
  importNow,
  phones,
  tableCounts,
  tempUploadDir,
  upload,
} from './support.js';
import { workbookOf } from './xlsx-files.js';

/**
 * Nothing a parse writes outlives the request: after a success, a parse error, a refused bomb or an
 * upload the client abandons half-way, UPLOAD_PATH holds only the originals of completed imports and
 * the temporary directory (os.tmpdir(), private to this file) holds what it held before.
 */
const uploads = tempUploadDir();
const temp = privateTmpDir();
const P = phones(50, 8000);
/** Sheets before the shared strings and the workbook part, as exceljs writes them: a streaming reader meets them first. */
const leads = () =>
  workbookOf([{ name: 'Leads', rows: [['FirstName', 'Phone'], ...P.map((p, i) => [`Lead ${i}`, p])] }], {
    indexLast: true,
  });

const tempFiles = () => tempFilesIn(temp);

describe('lead files leave nothing behind', () => {
  const ctx = useTestApp({ UPLOAD_PATH: uploads });

  async function setup() {
    const admin = await createUser(ctx.app, 'admin');
    await createAgent(ctx.app, admin);
    return admin;
  }

  it('after a dry run and a real import of a workbook: only the imported original is kept', async () => {
    const admin = await setup();
    const before = tempFiles();
    await dryRun(ctx.app, admin, leads(), { filename: 'leads.xlsx' });
    expect(filesIn(uploads)).toEqual([]);
    const { done } = await importNow(ctx.app, admin, leads(), { filename: 'leads.xlsx' });
    expect(done).toMatchObject({ status: 'completed', validRows: P.length });
    expect(filesIn(uploads)).toEqual([`${done.id}.xlsx`]);
    expect(tempFiles()).toEqual(before);
  });

  it('after a workbook that fails to parse half-way, and after a refused bomb', async () => {
    const admin = await setup();
    const before = tempFiles();
    const inline = (text: string) => `<c t="inlineStr"><is><t>${text}</t></is></c>`;
    const rows = P.map((p, i) => `<row>${inline(`Lead ${i}`)}${inline(p)}</row>`).join('');
    // Fifty good rows, then a cell that is never closed.
    const broken = workbookWith(sheetPart(`<row>${inline('FirstName')}${inline('Phone')}</row>${rows}<row><c></row>`));
    expectProblem(await upload(ctx.app, admin, broken, { filename: 'leads.xlsx' }), 415);
    const bomb = workbookWith(sharedStringsBomb('x'.repeat(40), 20_000, 210, 1024));
    expectProblem(await upload(ctx.app, admin, bomb, { filename: 'leads.xlsx' }), 415);
    expect(filesIn(uploads)).toEqual([]);
    expect(tempFiles()).toEqual(before);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
  });

  it('after an upload the client abandons half-way (the connection dropped mid-body)', async () => {
    const admin = await setup();
    const before = tempFiles();
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;

    const boundary = 'crewdesk-half-sent';
    const file = leads();
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.xlsx"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const length = head.length + file.length + tail.length;
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/v1/lead-imports HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: ${admin.auth.authorization}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n`,
    );
    socket.write(head);
    socket.write(file.subarray(0, Math.floor(file.length / 2)));
    // The partial upload is on disk while the body is still coming.
    await expect.poll(() => filesIn(uploads).length, { timeout: 10_000 }).toBe(1);
    socket.destroy();

    await expect.poll(() => filesIn(uploads), { timeout: 10_000 }).toEqual([]);
    expect(tempFiles()).toEqual(before);
    expect(await tableCounts(ctx.app)).toEqual({ imports: 0, leads: 0, assignments: 0 });
    // The server goes on serving uploads.
    expect((await dryRun(ctx.app, admin, leads(), { filename: 'leads.xlsx' })).validRows).toBe(P.length);
  });
});
