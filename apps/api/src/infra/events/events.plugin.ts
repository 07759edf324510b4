import fp from 'fastify-plugin';
import { createBreaker } from '../resilience/breakers.js';
import type { Executor } from '../db/client.js';
import { activityConsumer } from './activity.js';
import type { EventBroker } from './broker.js';
import { recordEvents, type EventSink, type NewEvent } from './events.js';
import { createInProcessBroker } from './in-process.js';
import { OutboxRelay } from './relay.js';

export interface Events extends EventSink {
  broker: EventBroker;
  relay: OutboxRelay;
  /** Writes events to the outbox inside the caller's transaction. */
  record(tx: Executor, events: NewEvent[]): Promise<void>;
  /** Call after the transaction that recorded events commits: the relay publishes them now. */
  committed(): void;
  /** Publishes everything in the outbox and waits for in-process consumers (tests, shutdown). */
  flush(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    events: Events;
  }
}

const POLL_MS = 1_000;

/**
 * Domain events through a transactional outbox: services record events with their change, the
 * relay publishes them to RabbitMQ when AMQP_URL is set, to an in-process bus otherwise, and the
 * activity consumer logs each one once. Starts with the server, stops before the database closes.
 */
export default fp(
  async (app) => {
    const inProcess = app.config.amqpUrl ? null : createInProcessBroker(app.log);
    // The AMQP client loads only when there is a broker to talk to.
    const broker: EventBroker =
      inProcess ?? (await import('./rabbitmq.js')).createRabbitBroker(app.config.amqpUrl as string, app.log);
    const breaker = app.breakers.add(
      broker.kind === 'rabbitmq' ? 'rabbitmq' : 'events',
      createBreaker('events', { timeoutMs: 6_000, resetMs: 3_000 }),
    );
    const relay = new OutboxRelay(app.database.db, broker, breaker, app.log, { pollMs: POLL_MS });

    const recorded = app.metrics.counter(
      'crewdesk_events_consumed_total',
      'Events handled by consumers, by consumer and whether new.',
      ['consumer', 'result'],
    );
    await broker.consume(
      'activity',
      activityConsumer(app.database.db, (_event, first) =>
        recorded.inc({ consumer: 'activity', result: first ? 'applied' : 'duplicate' }),
      ),
    );
    app.metrics.gauge(
      'crewdesk_outbox_backlog_events',
      'Events written but not yet published; -1 when the outbox cannot be read.',
      () => relay.backlog().catch(() => -1),
    );

    app.decorate('events', {
      broker,
      relay,
      record: recordEvents,
      committed: () => relay.kick(),
      async flush() {
        await relay.drain();
        await inProcess?.idle();
      },
    });

    app.addHook('onReady', async () => relay.start());
    // Stops publishing first (a batch in flight finishes), then the broker's connections.
    app.addHook('onClose', async () => {
      await relay.stop();
      await broker.close();
    });
  },
  { name: 'events', dependencies: ['db', 'metrics', 'resilience'] },
);
