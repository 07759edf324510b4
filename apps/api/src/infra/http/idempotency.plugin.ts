import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { idempotencyKeys } from '../db/schema/index.js';
import { AppError, fieldError } from '../../shared/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A create: `Idempotency-Key` makes a retry return the first answer instead of creating again. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** The key this request reserved, answered when it is sent. */
    idempotency: { userId: string; key: string } | null;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
/** Answers are kept 24 hours. */
const expired = sql`${idempotencyKeys.createdAt} < now() - interval '24 hours'`;
/** A reservation this old belongs to a request that died (a killed replica): a retry takes it over. */
const abandoned = sql`${idempotencyKeys.createdAt} < now() - interval '5 minutes'`;
const PRUNE_EVERY_MS = 3600_000;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Safe retries for creates (routes with `config: { idempotent: true }`), per user and stored in the
 * database so every replica sees them: the first request with a key reserves it, and its answer
 * (anything but a 5xx or 429, which free the key for a retry) is kept for 24 hours. The same key and
 * request again gets that answer (`Idempotent-Replayed: true`) and creates nothing; the same key with
 * another body is 422; while the first is still being answered, 409. Multipart uploads are
 * fingerprinted by route only: their file's SHA-256 already makes a re-upload harmless.
 */
export default fp(
  async (app) => {
    const { db } = app.database;
    const where = (userId: string, key: string) =>
      and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key));
    app.decorateRequest('idempotency', null);

    app.addHook('preHandler', async (request, reply) => {
      if (!request.routeOptions.config.idempotent || !request.actor) return;
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !KEY.test(key)) {
        throw fieldError(
          'Idempotency-Key',
          'Send 1 to 255 printable ASCII characters',
          'The Idempotency-Key header is not valid',
        );
      }
      const userId = request.actor.id;
      const multipart = /^multipart\//i.test(request.headers['content-type'] ?? '');
      const body = multipart ? null : (request.body ?? null);
      const fingerprint = sha256(JSON.stringify([request.method, request.routeOptions.url, request.params, body]));
      for (let attempt = 0; attempt < 3; attempt++) {
        const reserved = await db
          .insert(idempotencyKeys)
          .values({ userId, key, fingerprint })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key });
        if (reserved.length) {
          request.idempotency = { userId, key };
          return;
        }
        // Ages are the database's: replicas' clocks may differ, and a JS Date has no microseconds to
        // compare a stored timestamp with, so every age test is a condition in SQL.
        const [row] = await db
          .select({
            fingerprint: idempotencyKeys.fingerprint,
            status: idempotencyKeys.status,
            contentType: idempotencyKeys.contentType,
            body: idempotencyKeys.body,
            expired: sql<boolean>`${expired}`,
            abandoned: sql<boolean>`${abandoned}`,
          })
          .from(idempotencyKeys)
          .where(where(userId, key));
        if (!row) continue; // freed meanwhile by a failed first attempt
        if (row.expired) {
          await db.delete(idempotencyKeys).where(and(where(userId, key), expired));
          continue;
        }
        if (row.fingerprint !== fingerprint) {
          throw new AppError('unprocessable', 'This Idempotency-Key was used with another request; use a new key', {
            errors: [{ path: 'Idempotency-Key', message: 'Already used for a different request' }],
          });
        }
        if (row.status === null) {
          if (!row.abandoned) {
            throw new AppError(
              'conflict',
              'A request with this Idempotency-Key is still being answered; retry shortly',
              {
                retryAfterSeconds: 1,
              },
            );
          }
          const taken = await db
            .update(idempotencyKeys)
            .set({ createdAt: sql`now()` })
            .where(and(where(userId, key), isNull(idempotencyKeys.status), abandoned))
            .returning({ key: idempotencyKeys.key });
          if (taken.length) {
            request.idempotency = { userId, key };
            return;
          }
          continue;
        }
        return reply
          .code(row.status)
          .type(row.contentType ?? 'application/json')
          .header('idempotent-replayed', 'true')
          .send(row.body ?? '');
      }
      throw new AppError('conflict', 'A request with this Idempotency-Key is still being answered; retry shortly', {
        retryAfterSeconds: 1,
      });
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotency;
      if (!claim) return payload;
      request.idempotency = null;
      const status = reply.statusCode;
      if (status >= 500 || status === 429 || typeof payload !== 'string') {
        await db.delete(idempotencyKeys).where(where(claim.userId, claim.key));
      } else {
        const contentType = String(reply.getHeader('content-type') ?? 'application/json');
        await db
          .update(idempotencyKeys)
          .set({ status, contentType, body: payload })
          .where(where(claim.userId, claim.key));
      }
      return payload;
    });

    // Every replica prunes; the delete is the same whoever runs it.
    const prune = () =>
      db
        .delete(idempotencyKeys)
        .where(expired)
        .catch((err: unknown) => app.log.warn({ err }, 'could not prune idempotency keys'));
    const timer = setInterval(prune, PRUNE_EVERY_MS).unref();
    app.addHook('onReady', async () => void prune());
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'idempotency', dependencies: ['db', 'errors'] },
);
