import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Published events stay in the outbox this long (the activity log keeps its own copy). */
export const OUTBOX_KEEP_PUBLISHED_MS = 7 * 24 * 3600 * 1000;

/**
 * The transactional outbox: every state change writes its event here in the same transaction, and
 * the relay publishes unpublished rows to the broker (RabbitMQ, or the in-process bus) and marks them.
 * An event is therefore published if and only if its change committed. Partitioned by month of
 * `created_at` (migration 0010), so the primary key is (id, created_at); partitions.ts drops a
 * month once it is past the relay's week of published history and holds no unpublished event.
 */
export const outbox = pgTable(
  'outbox',
  {
    /** uuidv7: also the event id consumers deduplicate on, and the SSE id clients resume from. */
    id: uuid('id').notNull(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** Users who receive the event live (SSE). */
    audience: uuid('audience')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** Who caused it, and from which browser tab (the X-Client-Id header), when known. */
    actorId: uuid('actor_id'),
    source: text('source'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.createdAt] }),
    // The relay's queue: small however long the published history grows.
    index('outbox_unpublished_idx')
      .on(t.id)
      .where(sql`published_at is null`),
    index('outbox_published_at_idx').on(t.publishedAt),
  ],
);

/**
 * The activity log, written by the `activity` consumer: one row per event, kept for
 * ACTIVITY_RETENTION_MONTHS (forever by default). Partitioned by month of `occurred_at` (migration
 * 0010). The primary key is (event id, occurred_at): a redelivered event carries the same id and
 * time, so it is recognised and not applied twice.
 */
export const activity = pgTable(
  'activity',
  {
    eventId: uuid('event_id').notNull(),
    topic: text('topic').notNull(),
    actorId: uuid('actor_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.occurredAt] }), index('activity_occurred_idx').on(t.occurredAt)],
);
