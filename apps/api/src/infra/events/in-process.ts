import type { FastifyBaseLogger } from 'fastify';
import pRetry from 'p-retry';
import { MAX_ATTEMPTS, retryDelayMs, type EventBroker, type EventHandler } from './broker.js';
import type { DomainEvent } from './events.js';

export interface DeadLetter {
  consumer: string;
  event: DomainEvent;
  error: string;
}

/**
 * The broker when AMQP_URL is unset (the embedded shape): events published by the relay go straight
 * to this process's live listeners and consumers. Consumers run after the publish resolves, retried
 * with the same backoff RabbitMQ's retry queues use; the last failure is dead-lettered (logged, kept).
 */
export function createInProcessBroker(log: FastifyBaseLogger): EventBroker & {
  deadLetters: DeadLetter[];
  idle(): Promise<void>;
} {
  const listeners = new Set<(event: DomainEvent) => void>();
  const consumers = new Map<string, EventHandler>();
  const running = new Set<Promise<void>>();
  const deadLetters: DeadLetter[] = [];
  let closed = false;
  // Aborts pending retry delays at shutdown, so closing never waits out a backoff.
  const stopping = new AbortController();

  function deliver(name: string, handler: EventHandler, event: DomainEvent) {
    const job = pRetry(() => handler(event), {
      retries: MAX_ATTEMPTS - 1,
      minTimeout: retryDelayMs(1),
      factor: 2,
      randomize: false,
      signal: stopping.signal,
    })
      .catch((err: unknown) => {
        deadLetters.push({ consumer: name, event, error: (err as Error).message });
        if (deadLetters.length > 1000) deadLetters.shift();
        log.error({ err, consumer: name, eventId: event.id, topic: event.topic }, 'event dead-lettered');
      })
      .finally(() => running.delete(job));
    running.add(job);
  }

  return {
    kind: 'in-process',
    deadLetters,
    async publish(events) {
      if (closed) throw new Error('the event bus is closed');
      for (const event of events) {
        for (const listener of listeners) listener(event);
        for (const [name, handler] of consumers) deliver(name, handler, event);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async consume(name, handler) {
      consumers.set(name, handler);
    },
    connected: () => !closed,
    /** Resolves when every delivery so far has been handled or dead-lettered. */
    async idle() {
      while (running.size) await Promise.allSettled([...running]);
    },
    async close() {
      closed = true;
      stopping.abort();
      await Promise.allSettled([...running]);
      listeners.clear();
    },
  };
}
