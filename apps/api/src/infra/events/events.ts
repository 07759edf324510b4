import { uuidv7 } from 'uuidv7';
import type { Executor } from '../db/client.js';
import { outbox } from '../db/schema/index.js';

export const topics = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.deleted',
  'lead.import.completed',
  'lead.assigned',
  'user.deactivated',
] as const;
export type Topic = (typeof topics)[number];

/** What a service says happened; the outbox gives it an id and a time. */
export interface NewEvent {
  topic: Topic;
  data: Record<string, unknown>;
  /** Users who receive it live (their SSE streams). */
  audience: string[];
  actorId?: string | null;
  /** The browser tab that caused it (X-Client-Id), so that tab can skip its own toast. */
  source?: string | null;
}

/** What services need: record events with a change, and say when it committed. */
export interface EventSink {
  record(tx: Executor, events: NewEvent[]): Promise<void>;
  committed(): void;
}

/** An event as the broker carries it and consumers receive it. */
export interface DomainEvent {
  id: string;
  topic: Topic;
  occurredAt: string;
  actorId: string | null;
  source: string | null;
  audience: string[];
  data: Record<string, unknown>;
}

/**
 * Writes events to the outbox with the caller's transaction, so they exist exactly when the change
 * they describe commits. Publishing is the relay's job, after the commit.
 */
export async function recordEvents(tx: Executor, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(outbox).values(
    events.map((e) => ({
      id: uuidv7(),
      topic: e.topic,
      payload: e.data,
      audience: [...new Set(e.audience)],
      actorId: e.actorId ?? null,
      source: e.source ?? null,
    })),
  );
}

export function encodeEvent(event: DomainEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}

/** A message body back to an event; anything that is not one is refused (and dead-lettered). */
export function decodeEvent(body: Buffer): DomainEvent {
  const value = JSON.parse(body.toString('utf8')) as Partial<DomainEvent>;
  if (
    typeof value?.id !== 'string' ||
    !topics.includes(value.topic as Topic) ||
    typeof value.occurredAt !== 'string' ||
    !Array.isArray(value.audience) ||
    typeof value.data !== 'object' ||
    value.data === null
  ) {
    throw new Error('not a Crewdesk event');
  }
  return value as DomainEvent;
}
