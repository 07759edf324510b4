import type { FastifyPluginAsync } from 'fastify';
import multipart from '@fastify/multipart';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  columnMapping,
  id,
  idParams,
  importReport,
  leadImport,
  leadImportForm,
  leadImportPage,
  listLeadImportsQuery,
  problem,
} from '@crewdesk/contracts';
import { AppError, fieldError } from '../../shared/errors.js';
import { sendCsv } from '../../shared/csv.js';
import { json, text } from '../../shared/openapi.js';
import { actorOf } from '../auth/index.js';
import type { LeadImportService } from './lead-import.service.js';
import { storeUpload, type StoredUpload } from './upload.js';

const fields = z.strictObject({
  dryRun: z.enum(['true', 'false']).default('false'),
  agentIds: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(id).min(1))
    .optional(),
  mapping: z
    .string()
    .transform((v, ctx) => {
      try {
        return JSON.parse(v) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Send the mapping as a JSON object: header name → target' });
        return z.NEVER;
      }
    })
    .pipe(columnMapping)
    .optional(),
});

export const leadImportsRoutes: FastifyPluginAsync<{ service: LeadImportService }> = async (app, { service }) => {
  const { maxBytes, path: uploadDir } = app.config.uploads;
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['leads'];
  const security = [{ bearer: [] }];
  const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 413: problem, 415: problem };
  const admin = [app.authenticate, app.requireRole('admin')];

  r.post(
    '/api/v1/lead-imports',
    {
      config: { idempotent: true },
      onRequest: admin,
      bodyLimit: maxBytes + 1024 * 1024,
      schema: {
        operationId: 'importLeads',
        tags,
        security,
        summary:
          'Upload a CSV or XLSX lead list (multipart: file, dryRun, agentIds); the report lists every problem before anything is written',
        description:
          'The file is recognised by its bytes (never its name or type) and checked row by row: first name, phone (stored in E.164; local numbers in the workspace’s default phone country) and notes. ' +
          'Each column goes where `mapping` says, else where the mapping saved for the same headers or the header’s name puts it; the report lists every column and what it becomes. ' +
          'A dry run whose columns lack first name or phone answers with the columns (missingColumns) and checks no row; an import refuses it (400). ' +
          'The rows that are not imported come back as problemRows, in the file’s own header names, and stay with the import (GET /api/v1/lead-imports/{id}/problem-rows). ' +
          'Valid, new leads are distributed in equal shares among the chosen active agents. Re-uploading the same file (same SHA-256) returns the earlier import (when: importedAt; what it wrote: its counts) and writes nothing. ' +
          'A real import answers 202 once the last row is checked, while the leads are still written in the background: follow it with GET /api/v1/lead-imports/{id}.',
        multipartBody: leadImportForm,
        response: {
          200: json(importReport, 'The report of a dry run, or of the earlier import of the same file'),
          202: json(
            importReport,
            'The report of a new import, whose leads are still being written (status processing)',
          ),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data');
      // The checking threads start while the file is still arriving.
      service.prepare();
      const raw: Record<string, string> = {};
      let upload: StoredUpload | undefined;
      let filename = '';
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            if (part.fieldname !== 'file' || upload)
              throw fieldError(part.fieldname, 'Send exactly one file, in the field "file"');
            filename = part.filename.replace(/[^\w .()-]/g, '_').slice(0, 200) || 'upload';
            upload = await storeUpload(part.file, uploadDir, maxBytes);
          } else {
            raw[part.fieldname] = String(part.value);
          }
        }
      } catch (err) {
        await upload?.discard();
        const code = (err as { code?: string }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          throw new AppError('payload_too_large', 'The file is larger than the upload limit');
        }
        // Fastify's and busboy's parse errors (a missing closing boundary, a malformed part header, a
        // body cut short) carry no system error code; file-system errors (ENOSPC…) do, and stay 5xx.
        if (code?.startsWith('FST_') || (!(err instanceof AppError) && !(err as { syscall?: string }).syscall))
          throw new AppError('bad_request', 'The upload could not be read as multipart/form-data');
        throw err;
      }
      if (!upload) throw fieldError('file', 'Attach the lead list in the field "file"');
      const parsed = fields.safeParse(raw);
      if (!parsed.success) {
        await upload.discard();
        throw new AppError('validation', 'The form fields are invalid', {
          errors: parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'fields', message: i.message })),
        });
      }
      const report = await service.import(actorOf(request), {
        upload,
        filename,
        dryRun: parsed.data.dryRun === 'true',
        agentIds: parsed.data.agentIds,
        mapping: parsed.data.mapping,
      });
      return reply.code(report.status === 'processing' ? 202 : 200).send(report);
    },
  );

  r.get(
    '/api/v1/lead-imports',
    {
      onRequest: admin,
      schema: {
        operationId: 'listLeadImports',
        tags,
        security,
        summary: 'Past imports, newest first',
        description: 'Every import with its counts, problems and distribution, newest first, in keyset pages.',
        querystring: listLeadImportsQuery,
        response: { 200: json(leadImportPage, 'A page of imports'), ...errors },
      },
    },
    async (request) => service.list(actorOf(request), request.query.limit, request.query.cursor),
  );

  r.get(
    '/api/v1/lead-imports/:id',
    {
      onRequest: admin,
      schema: {
        operationId: 'getLeadImport',
        tags,
        security,
        summary: 'One import, with its progress while it is written',
        description: 'One import; while status is processing, processedRows counts the rows written so far.',
        params: idParams,
        response: { 200: json(leadImport, 'The import'), ...errors },
      },
    },
    async (request) => service.get(actorOf(request), request.params.id),
  );

  r.get(
    '/api/v1/lead-imports/:id/problem-rows',
    {
      onRequest: admin,
      schema: {
        operationId: 'getLeadImportProblemRows',
        tags,
        security,
        summary: 'The rows an import skipped, as CSV',
        description:
          'Row (the number a spreadsheet shows), Problem, then the row as the file had it under its own header names: every invalid or duplicate row, up to 1,000 rows and 1 MiB of cells. ' +
          'Cells that a spreadsheet would run as a formula (= + - @ tab CR) start with a quote.',
        params: idParams,
        response: {
          200: text('text/csv', 'The problem rows as a CSV attachment'),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { problems } = await service.problemRows(actorOf(request), request.params.id);
      async function* batches() {
        yield problems.rows;
      }
      return sendCsv(reply, 'problem-rows', ['Row', 'Problem', ...problems.header], batches(), (p) => [
        p.row,
        p.reason,
        ...p.cells,
      ]);
    },
  );
};
