import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { DomainEvent } from '../../infra/events/events.js';

/** Events kept for resuming streams (Last-Event-ID), across all users, newest last. */
const REPLAY_EVENTS = 5_000;
/** Streams a user may hold open at once (tabs, devices); opening another closes their oldest. */
const STREAMS_PER_USER = 10;
/** A client this far behind (bytes unsent) is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface LiveStream {
  userId: string;
  sessionId: string;
  raw: ServerResponse;
  close(): void;
}

/** What a client sees of an event: no audience list. */
function frame(event: DomainEvent): string {
  const { id, topic, occurredAt, actorId, source, data } = event;
  return `id: ${id}\nevent: ${topic}\ndata: ${JSON.stringify({ id, topic, occurredAt, actorId, source, data })}\n\n`;
}

/**
 * This process's server-sent event streams. Every replica receives every event (the broker's live
 * fan-out) and writes each to the streams of the users in its audience. The last few thousand are
 * kept so a reconnecting client resumes after its Last-Event-ID; when that id is not here (too old,
 * or lost while the broker was unreachable) the client is told to resync instead.
 */
export class LiveHub {
  private readonly streams = new Map<string, LiveStream[]>();
  private readonly recent: DomainEvent[] = [];
  private readonly positions = new Map<string, number>();
  private dropped = 0;

  constructor(private readonly log: FastifyBaseLogger) {}

  get size(): number {
    let n = 0;
    for (const list of this.streams.values()) n += list.length;
    return n;
  }

  /** A published event: remembered for replay, written to its audience's streams. */
  dispatch(event: DomainEvent) {
    if (this.positions.has(event.id)) return;
    this.recent.push(event);
    this.positions.set(event.id, this.dropped + this.recent.length - 1);
    if (this.recent.length > REPLAY_EVENTS) {
      const old = this.recent.splice(0, this.recent.length - REPLAY_EVENTS);
      for (const e of old) this.positions.delete(e.id);
      this.dropped += old.length;
    }
    for (const userId of event.audience) {
      for (const stream of this.streams.get(userId) ?? []) this.write(stream, frame(event));
    }
    // A deactivated user's streams end with it (their sessions already have).
    if (event.topic === 'user.deactivated') {
      for (const userId of event.audience) for (const stream of [...(this.streams.get(userId) ?? [])]) stream.close();
    }
  }

  /** Events may have been missed (the broker connection dropped): every client refetches. */
  resyncAll() {
    for (const list of this.streams.values())
      for (const stream of list) this.write(stream, 'event: resync\ndata: {}\n\n');
  }

  /** Registers a stream and replays what it missed, or asks it to resync. */
  open(stream: LiveStream, lastEventId: string | null) {
    const list = this.streams.get(stream.userId) ?? [];
    list.push(stream);
    this.streams.set(stream.userId, list);
    if (list.length > STREAMS_PER_USER) list[0]!.close();

    this.write(stream, 'retry: 2000\nevent: ready\ndata: {}\n\n');
    if (lastEventId === null) return;
    const position = this.positions.get(lastEventId);
    if (position === undefined) {
      this.write(stream, 'event: resync\ndata: {}\n\n');
      return;
    }
    for (const event of this.recent.slice(position - this.dropped + 1)) {
      if (event.audience.includes(stream.userId)) this.write(stream, frame(event));
    }
  }

  remove(stream: LiveStream) {
    const list = this.streams.get(stream.userId);
    if (!list) return;
    const rest = list.filter((s) => s !== stream);
    if (rest.length) this.streams.set(stream.userId, rest);
    else this.streams.delete(stream.userId);
  }

  all(): LiveStream[] {
    return [...this.streams.values()].flat();
  }

  closeAll() {
    for (const stream of this.all()) stream.close();
  }

  write(stream: LiveStream, text: string) {
    if (stream.raw.writableEnded || stream.raw.destroyed) return;
    if (stream.raw.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn({ userId: stream.userId }, 'closing an event stream that is not being read');
      stream.close();
      return;
    }
    stream.raw.write(text);
  }
}
