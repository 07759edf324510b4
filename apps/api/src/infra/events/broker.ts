import type { DomainEvent } from './events.js';

export type EventHandler = (event: DomainEvent) => Promise<void>;

/** Where published events go: RabbitMQ in production, this process otherwise. Same semantics. */
export interface EventBroker {
  kind: 'in-process' | 'rabbitmq';
  /** Resolves once the broker holds every event (publisher confirms); rejects otherwise. */
  publish(events: DomainEvent[]): Promise<void>;
  /**
   * Every event, as it is published by any replica, for this process's live streams. Best effort:
   * `onGap` is called when some may have been missed (the connection was lost), so streams can resync.
   */
  subscribe(listener: (event: DomainEvent) => void, onGap?: () => void): () => void;
  /**
   * A durable consumer: each event is handled by one replica, retried with backoff when the handler
   * fails, and dead-lettered after the last attempt. Handlers must be idempotent by event id: a
   * delivery can repeat (a relay that crashed after publishing, a lost ack).
   */
  consume(name: string, handler: EventHandler): Promise<void>;
  /** Whether the broker can take a publish right now. */
  connected(): boolean;
  close(): Promise<void>;
}

/** Delay before retry `attempt` (1-based): 0.5 s, 1 s, 2 s, 4 s… capped at 30 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 30_000);
}

/** Attempts per event before it is dead-lettered. */
export const MAX_ATTEMPTS = 5;
