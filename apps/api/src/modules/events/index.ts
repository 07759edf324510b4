import fp from 'fastify-plugin';
import { decodeJwt } from 'jose';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { liveEvent, problem } from '@crewdesk/contracts';
import { text } from '../../shared/openapi.js';
import { actorOf, bearerToken } from '../auth/index.js';
import { LiveHub, type LiveStream } from './live-hub.js';

const HEARTBEAT_MS = 15_000;
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * GET /api/v1/events/stream: each signed-in user's own changes as server-sent events, on whichever
 * replica they reach. Heartbeats every 15 s keep proxies from closing it; a stream ends when its
 * access token expires or its session ends (the client reconnects with a fresh token and its
 * Last-Event-ID), and at shutdown.
 */
export default fp(
  async (app) => {
    const hub = new LiveHub(app.log);
    const unsubscribe = app.events.broker.subscribe(
      (event) => hub.dispatch(event),
      () => hub.resyncAll(),
    );
    app.metrics.gauge('crewdesk_sse_connections', 'Open server-sent event streams.', () => hub.size);

    const heartbeat = setInterval(() => {
      for (const stream of hub.all()) {
        hub.write(stream, ': heartbeat\n\n');
        // Sign-out, revocation, a password change: the stream ends with its session.
        app.sessionGuard
          .isLive(stream.sessionId)
          .then((live) => live || stream.close())
          .catch(() => {});
      }
    }, HEARTBEAT_MS);
    heartbeat.unref();

    // Open streams would hold the server open: they end before it starts closing.
    app.addHook('preClose', async () => {
      clearInterval(heartbeat);
      unsubscribe();
      hub.closeAll();
    });

    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/v1/events/stream',
      {
        onRequest: app.authenticate,
        schema: {
          tags: ['events'],
          security: [{ bearer: [] }],
          operationId: 'eventStream',
          summary:
            'Server-sent events of your own changes (task.*, lead.assigned, lead.import.completed, user.deactivated). ' +
            'Send Last-Event-ID to resume; an event named resync means refetch everything.',
          description:
            'A text/event-stream that stays open. It starts with an event named ready; each change is then an event whose `id` is the event id, ' +
            '`event` its topic and `data` one LiveEvent as JSON. A comment (`: heartbeat`) every 15 s keeps proxies from closing it. ' +
            'Reconnect with Last-Event-ID to receive what was missed; an event named resync (data {}) means that is not possible: refetch everything. ' +
            'The stream ends when the access token expires or the session ends; reconnect with a fresh token.',
          headers: z.object({ 'last-event-id': z.string().regex(EVENT_ID, 'expected an event id').optional() }),
          response: {
            200: text('text/event-stream', 'The event stream; each data field is a LiveEvent', liveEvent),
            400: problem,
            401: problem,
          },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const exp = decodeJwt(bearerToken(request) as string).exp ?? 0;
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // nginx (the gateway) would otherwise buffer the stream.
          'x-accel-buffering': 'no',
          connection: 'keep-alive',
        });
        raw.flushHeaders();
        raw.socket?.setNoDelay(true);
        raw.socket?.setKeepAlive(true, HEARTBEAT_MS);

        const stream: LiveStream = {
          userId: actor.id,
          sessionId: actor.sessionId,
          raw,
          close: () => {
            clearTimeout(expiry);
            hub.remove(stream);
            if (!raw.writableEnded) raw.end();
          },
        };
        // The token's authority ends at its expiry; so does the stream.
        const expiry = setTimeout(() => stream.close(), Math.max(0, exp * 1000 - Date.now()));
        expiry.unref();
        raw.on('close', () => {
          clearTimeout(expiry);
          hub.remove(stream);
        });
        hub.open(stream, request.headers['last-event-id'] ?? null);
      },
    );
  },
  { name: 'live-events', dependencies: ['auth-core', 'events', 'metrics'] },
);
