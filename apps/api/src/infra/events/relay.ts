import { and, asc, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/client.js';
import { OUTBOX_KEEP_PUBLISHED_MS, outbox } from '../db/schema/index.js';
import { guarded, type Breaker } from '../resilience/breakers.js';
import type { EventBroker } from './broker.js';
import type { DomainEvent, Topic } from './events.js';

const BATCH = 200;
const PRUNE_EVERY_MS = 3600 * 1000;

export interface RelayOptions {
  /** How often the outbox is polled for events written by other replicas or left by a failure. */
  pollMs: number;
}

/**
 * Publishes the outbox: claims the oldest unpublished events (FOR UPDATE SKIP LOCKED, so replicas
 * share the work without publishing the same row at once), publishes them through the breaker,
 * and marks them published in the same transaction. A failure rolls the claim back and the events
 * are tried again after a backoff: none is lost. A crash between the broker's confirm and the
 * commit publishes a batch twice, which is why consumers are idempotent by event id.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | null = null;
  /** The batch the loop is publishing right now, if any. */
  private background: Promise<number> | null = null;
  private wake: (() => void) | null = null;
  private failures = 0;
  private lastPrune = 0;

  constructor(
    private readonly db: Database,
    private readonly broker: EventBroker,
    private readonly breaker: Breaker,
    private readonly log: FastifyBaseLogger,
    private readonly options: RelayOptions,
  ) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A transaction with events just committed: publish now rather than at the next poll. */
  kick() {
    this.wake?.();
  }

  async stop() {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publishes until the outbox is empty (or the broker refuses): for tests and shutdown. */
  async drain(): Promise<void> {
    for (;;) {
      // A batch the loop is publishing holds its rows locked, so this pass would skip them.
      await this.background?.catch(() => undefined);
      if ((await this.publishBatch()) === BATCH) continue;
      if (!this.background) return;
    }
  }

  async backlog(): Promise<number> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(isNull(outbox.publishedAt));
    return row?.n ?? 0;
  }

  private async run() {
    while (this.running) {
      let full = false;
      try {
        this.background = this.publishBatch();
        try {
          full = (await this.background) === BATCH;
        } finally {
          this.background = null;
        }
        if (this.failures > 0) this.log.info({ after: this.failures }, 'outbox relay publishing again');
        this.failures = 0;
        await this.prune();
      } catch (err) {
        if (this.failures === 0) this.log.warn({ err }, 'outbox relay could not publish; retrying with backoff');
        this.failures++;
      }
      if (full || !this.running) continue;
      const delay = this.failures > 0 ? Math.min(250 * 2 ** this.failures, 5_000) : this.options.pollMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        // During a backoff a kick does not hurry the next attempt: the broker is the problem.
        this.wake =
          this.failures > 0 && this.running
            ? null
            : () => {
                clearTimeout(timer);
                resolve();
              };
      });
      this.wake = null;
    }
  }

  private async publishBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.publishedAt))
        .orderBy(asc(outbox.id))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      // Written by recordEvents from typed events, so each row's payload is its topic's.
      const events = rows.map(
        (r) =>
          ({
            id: r.id,
            topic: r.topic as Topic,
            occurredAt: r.createdAt.toISOString(),
            actorId: r.actorId,
            source: r.source,
            audience: r.audience,
            data: r.payload,
          }) as DomainEvent,
      );
      await guarded(this.breaker, () => this.broker.publish(events));
      // The batch's span of created_at as well as its ids, so only the months it falls in are
      // searched (the outbox is partitioned by month of created_at; Date keeps milliseconds, the
      // column microseconds, hence the upper bound a millisecond on).
      const times = rows.map((r) => r.createdAt.getTime());
      await tx
        .update(outbox)
        .set({ publishedAt: sql`now()` })
        .where(
          and(
            inArray(
              outbox.id,
              rows.map((r) => r.id),
            ),
            gte(outbox.createdAt, new Date(Math.min(...times))),
            lt(outbox.createdAt, new Date(Math.max(...times) + 1)),
          ),
        );
      return rows.length;
    });
  }

  private async prune() {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    const before = new Date(Date.now() - OUTBOX_KEEP_PUBLISHED_MS);
    // An event is published after it is created: the created_at bound leaves out the newer months.
    await this.db.delete(outbox).where(and(lt(outbox.publishedAt, before), lt(outbox.createdAt, before)));
  }
}
