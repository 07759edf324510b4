import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
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

    // The key a create reserved, for the transactions its handler opens: each marks the key applied
    // inside itself, so "the create committed" and "the key says so" are one fact. A crash between
    // the commit and the stored answer then leaves a key that refuses to run the create again.
    const reserved = new AsyncLocalStorage<{ claim: { userId: string; key: string } | null }>();
    app.addHook('onRequest', (request, _reply, done) => {
      if (!request.routeOptions.config.idempotent) return done();
      reserved.run({ claim: null }, done);
    });
    const removeHook = app.database.beforeCommit(async (tx) => {
      const claim = reserved.getStore()?.claim;
      if (!claim) return;
      await tx
        .update(idempotencyKeys)
        .set({ appliedAt: sql`now()` })
        .where(and(where(claim.userId, claim.key), isNull(idempotencyKeys.status)));
    });
    app.addHook('onClose', async () => removeHook());
    const claim = (request: FastifyRequest, userId: string, key: string) => {
      request.idempotency = { userId, key };
      const store = reserved.getStore();
      if (store) store.claim = request.idempotency;
    };

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
        const inserted = await db
          .insert(idempotencyKeys)
          .values({ userId, key, fingerprint })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key });
        if (inserted.length) {
          claim(request, userId, key);
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
            applied: sql<boolean>`${idempotencyKeys.appliedAt} is not null`,
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
          if (row.applied && row.abandoned) {
            throw new AppError(
              'conflict',
              'This request was carried out, but the server stopped before it could answer, so its answer is lost. ' +
                'It is not carried out again: look for what it created instead of retrying.',
              { errors: [{ path: 'Idempotency-Key', message: 'Already carried out; the answer was lost' }] },
            );
          }
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
            claim(request, userId, key);
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
        // Freed for a retry, unless the create committed before the failure: then the key stays
        // reserved, and a retry is told so (409) rather than creating it again.
        await db.delete(idempotencyKeys).where(and(where(claim.userId, claim.key), isNull(idempotencyKeys.appliedAt)));
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
