import type { FastifyBaseLogger } from 'fastify';
import amqp, { type AmqpConnectionManager, type ChannelWrapper, type CreateChannelOpts } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { MAX_ATTEMPTS, retryDelayMs, type EventBroker, type EventHandler } from './broker.js';
import { decodeEvent, encodeEvent, type DomainEvent } from './events.js';

export const EXCHANGE = 'crewdesk.events';
/** A publish not confirmed by then fails, and its events stay in the outbox for the next attempt. */
const PUBLISH_TIMEOUT_MS = 5_000;
/** Pause before reconnecting after a channel's setup failed (it may keep failing). */
const SETUP_RETRY_MS = 5_000;

export const queueNames = (consumer: string) => ({
  main: `crewdesk.${consumer}`,
  retry: `crewdesk.${consumer}.retry`,
  dead: `crewdesk.${consumer}.dlq`,
});

/**
 * RabbitMQ through amqp-connection-manager (reconnects, re-declares the topology and re-subscribes
 * by itself). Events go to a durable topic exchange, routed by topic, persistent, with publisher
 * confirms. Each consumer has a durable queue with manual acks; a failed delivery goes to a retry
 * queue whose per-message TTL dead-letters it back after the backoff; after the last attempt it is
 * rejected into the consumer's dead-letter queue. Live fan-out uses one exclusive queue per process.
 */
export function createRabbitBroker(url: string, log: FastifyBaseLogger): EventBroker {
  const connection: AmqpConnectionManager = amqp.connect([url], {
    heartbeatIntervalInSeconds: 5,
    reconnectTimeInSeconds: 1,
    connectionOptions: { timeout: 2_000 },
  });
  let down = false;
  const gapListeners = new Set<() => void>();
  connection.on('connect', () => {
    if (down) log.info('rabbitmq is back');
    down = false;
  });
  connection.on('disconnect', ({ err }) => {
    if (!down) log.warn({ err }, 'rabbitmq unavailable; events wait in the outbox until it is back');
    // Live events published meanwhile never reached this process's exclusive queue.
    if (!down) for (const gap of gapListeners) gap();
    down = true;
  });
  connection.on('connectFailed', ({ err }) => {
    if (!down) log.warn({ err }, 'rabbitmq unavailable; events wait in the outbox until it is back');
    down = true;
  });

  let closing = false;
  /** Channels whose setup failed and that are not consuming or publishing until it succeeds. */
  const failed = new Set<ChannelWrapper>();
  let retry: NodeJS.Timeout | null = null;
  /**
   * A channel's setup can fail half-way: the connection drops, or the broker refuses it (a queue
   * declared with other arguments, a permission) and closes the channel. /health reports the events
   * down until the wrapper has set the channel up again; should it still be down after a pause,
   * the connection is renewed. Without a listener the wrapper's 'error' would surface as an
   * unhandled rejection that ends the process.
   */
  const open = (options: CreateChannelOpts & { setup: (ch: ConfirmChannel) => Promise<void> }) => {
    // The wrapper emits 'connect' after a setup that failed too, when the broker closes the
    // channel a moment after refusing it (a queue declared with other arguments): only a setup
    // that ran to its end counts as set up, or the failure would be forgotten and, the channel
    // waiting for a reconnect that nobody asks for, a consumer would stay gone with the events
    // reported up.
    let setUp = false;
    const channel: ChannelWrapper = connection.createChannel({
      ...options,
      setup: async (ch: ConfirmChannel) => {
        setUp = false;
        await options.setup(ch);
        setUp = true;
      },
    });
    channel.on('error', (err: Error, info?: { name?: string }) => {
      if (closing) return;
      failed.add(channel);
      log.error({ err, channel: info?.name }, 'rabbitmq channel setup failed; reconnecting');
      retry ??= setTimeout(() => {
        retry = null;
        if (!closing && failed.size > 0 && connection.isConnected()) connection.reconnect();
      }, SETUP_RETRY_MS);
      retry.unref();
    });
    channel.on('connect', () => {
      if (setUp) failed.delete(channel);
    });
    return channel;
  };

  const publisher: ChannelWrapper = open({
    name: 'publisher',
    confirm: true,
    publishTimeout: PUBLISH_TIMEOUT_MS,
    setup: (ch: ConfirmChannel) => ch.assertExchange(EXCHANGE, 'topic', { durable: true }).then(() => undefined),
  });
  const channels: ChannelWrapper[] = [publisher];

  function listenerChannel(listeners: Set<(e: DomainEvent) => void>) {
    return open({
      name: 'live',
      setup: async (ch: ConfirmChannel) => {
        await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        await ch.bindQueue(queue, EXCHANGE, '#');
        await ch.consume(
          queue,
          (msg) => {
            if (!msg) return;
            try {
              const event = decodeEvent(msg.content);
              for (const listener of listeners) listener(event);
            } catch (err) {
              log.warn({ err }, 'ignored a message that is not an event');
            }
          },
          { noAck: true },
        );
      },
    });
  }
  const liveListeners = new Set<(e: DomainEvent) => void>();
  let live: ChannelWrapper | null = null;

  return {
    kind: 'rabbitmq',
    async publish(events) {
      // Nothing waits in memory for a connection: the outbox is the queue.
      if (!connection.isConnected()) throw new Error('rabbitmq is not connected');
      await Promise.all(
        events.map((event) =>
          publisher.publish(EXCHANGE, event.topic, encodeEvent(event), {
            persistent: true,
            messageId: event.id,
            contentType: 'application/json',
            timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
          }),
        ),
      );
    },

    subscribe(listener, onGap) {
      liveListeners.add(listener);
      if (onGap) gapListeners.add(onGap);
      if (!live) {
        live = listenerChannel(liveListeners);
        channels.push(live);
      }
      return () => {
        liveListeners.delete(listener);
        if (onGap) gapListeners.delete(onGap);
      };
    },

    async consume(name, handler: EventHandler) {
      const q = queueNames(name);
      const channel: ChannelWrapper = open({
        name: `consumer:${name}`,
        confirm: true,
        setup: async (ch: ConfirmChannel) => {
          await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
          await ch.assertQueue(q.dead, { durable: true });
          // Expired retries go back to the main queue through the default exchange.
          await ch.assertQueue(q.retry, {
            durable: true,
            arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q.main },
          });
          // Rejected deliveries (the last attempt, or an undecodable body) go to the dead-letter queue.
          await ch.assertQueue(q.main, {
            durable: true,
            arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q.dead },
          });
          await ch.bindQueue(q.main, EXCHANGE, '#');
          await ch.prefetch(16);
          await ch.consume(q.main, (msg) => void handle(ch, msg), { noAck: false });
        },
      });
      channels.push(channel);

      async function handle(ch: ConfirmChannel, msg: ConsumeMessage | null) {
        if (!msg) return;
        const attempt = Number(msg.properties.headers?.['x-attempt'] ?? 1);
        let event: DomainEvent;
        try {
          event = decodeEvent(msg.content);
        } catch (err) {
          log.error({ err, consumer: name }, 'dead-lettered a message that is not an event');
          ch.nack(msg, false, false);
          return;
        }
        try {
          await handler(event);
          ch.ack(msg);
        } catch (err) {
          if (attempt >= MAX_ATTEMPTS) {
            log.error({ err, consumer: name, eventId: event.id, attempt }, 'event dead-lettered');
            ch.nack(msg, false, false);
            return;
          }
          log.warn({ err, consumer: name, eventId: event.id, attempt }, 'event handler failed; will retry');
          try {
            ch.sendToQueue(q.retry, msg.content, {
              ...msg.properties,
              persistent: true,
              expiration: String(retryDelayMs(attempt)),
              headers: { ...msg.properties.headers, 'x-attempt': attempt + 1 },
            });
            await ch.waitForConfirms();
            ch.ack(msg);
          } catch {
            // The channel is gone: the unacked delivery comes back by itself when it reconnects.
          }
        }
      }
    },

    connected: () => connection.isConnected() && failed.size === 0,

    async close() {
      closing = true;
      if (retry) clearTimeout(retry);
      await Promise.allSettled(channels.map((c) => c.close()));
      await connection.close();
    },
  };
}
