import { newId } from '../../shared/ids.js';
import { parseDomainEvent, type DomainEvent, type EventOf, type Topic } from '@crewdesk/contracts';
import type { Executor } from '../db/client.js';
import { outbox } from '../db/schema/index.js';

export type { DomainEvent, Topic };

/** What a service says happened, its payload typed by the topic; the outbox gives it an id and a time. */
export type NewEvent<T extends Topic = Topic> = EventOf<T> & {
  /** Users who receive it live (their SSE streams). */
  audience: string[];
  actorId?: string | null;
  /** The browser tab that caused it (X-Client-Id), so that tab can skip its own toast. */
  source?: string | null;
};

/** What services need: record events with a change, and say when it committed. */
export interface EventSink {
  record(tx: Executor, events: NewEvent[]): Promise<void>;
  committed(): void;
}

/**
 * Writes events to the outbox with the caller's transaction, so they exist exactly when the change
 * they describe commits. Publishing is the relay's job, after the commit.
 */
export async function recordEvents(tx: Executor, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(outbox).values(
    events.map((e) => ({
      id: newId(),
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

/** A message body back to an event; anything that does not match its topic's contract is refused (and dead-lettered). */
export function decodeEvent(body: Buffer): DomainEvent {
  try {
    return parseDomainEvent(JSON.parse(body.toString('utf8')));
  } catch {
    throw new Error('not a Crewdesk event');
  }
}
