import { Agent, request } from 'node:https';
import { connect } from 'node:http2';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** The loopback address the request comes from (127.0.0.2 ... 127.255.255.254): its own client to nginx's limits. */
  from?: string;
  timeoutMs?: number;
}

/**
 * HTTPS through the gateway, trusting its self-signed certificate by file, from a chosen loopback
 * address (so each simulated client has its own address, as the gateway's and the API's per-address
 * limits see it), with keep-alive connections per address.
 */
export class GatewayClient {
  private readonly agents = new Map<string, Agent>();
  /** Requests sent again because the gateway closed the idle keep-alive connection they were written to. */
  connectionRetries = 0;

  constructor(
    readonly base: string,
    private readonly ca: string,
  ) {}

  private agent(from: string): Agent {
    let agent = this.agents.get(from);
    if (!agent) {
      agent = new Agent({ ca: this.ca, keepAlive: true, localAddress: from, maxSockets: 16 });
      this.agents.set(from, agent);
    }
    return agent;
  }

  async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    let payload: Buffer | undefined;
    const headers: Record<string, string> = { ...options.headers };
    if (options.body instanceof FormData) {
      const encoded = new Request('http://form.invalid', { method: 'POST', body: options.body });
      payload = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type')!;
    } else if (Buffer.isBuffer(options.body)) {
      payload = options.body;
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
    }
    if (payload) headers['content-length'] = String(payload.length);
    try {
      return await this.send(method, path, headers, payload, options);
    } catch (err) {
      // What browsers and curl do: a request written to a kept-alive connection that the server closed
      // meanwhile (nginx closes idle connections when its workers are replaced on reload) got no answer
      // at all and is sent again once, on a new connection. Counted, so the figures show it.
      if (!(err as { reusedSocket?: boolean }).reusedSocket) throw err;
      this.connectionRetries++;
      return this.send(method, path, headers, payload, options);
    }
  }

  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    options: CallOptions,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.base),
        { method, headers, agent: this.agent(options.from ?? '127.0.0.1'), timeout: options.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              json: <T>() => JSON.parse(text) as T,
            });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within the timeout`)));
      let answered = false;
      req.on('response', () => (answered = true));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const closedUnderUs =
          req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.message === 'socket hang up');
        reject(Object.assign(err, { reusedSocket: closedUnderUs }));
      });
      req.end(payload);
    });
  }

  /** A server-sent event stream through the gateway; frames as they arrive. */
  stream(path: string, headers: Record<string, string>, from = '127.0.0.1') {
    const frames: { id?: string; event?: string; data?: string }[] = [];
    let ended = false;
    let status = 0;
    const req = request(new URL(path, this.base), {
      headers: { accept: 'text/event-stream', ...headers },
      agent: new Agent({ ca: this.ca, localAddress: from }),
    });
    const opened = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        status = res.statusCode ?? 0;
        resolve(status);
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame: { id?: string; event?: string; data?: string } = {};
            for (const line of block.split('\n')) {
              const at = line.indexOf(': ');
              const field = at < 0 ? line : line.slice(0, at);
              if (field === 'id' || field === 'event' || field === 'data') frame[field] = line.slice(at + 2);
            }
            if (frame.event) frames.push(frame);
          }
        });
        res.on('end', () => (ended = true));
        res.on('error', () => (ended = true));
        res.on('close', () => (ended = true));
      });
      req.on('error', (err) => {
        ended = true;
        reject(err);
      });
    });
    req.end();
    return {
      opened,
      frames,
      get ended() {
        return ended;
      },
      get status() {
        return status;
      },
      close: () => req.destroy(),
      /** Waits for a frame matching `match`, at most timeoutMs. */
      async waitFor(match: (frame: { id?: string; event?: string; data?: string }) => boolean, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = frames.find(match);
          if (found) return found;
          if (Date.now() > deadline)
            throw new Error(`no matching event within ${timeoutMs} ms: ${JSON.stringify(frames)}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    };
  }

  /** One GET over HTTP/2 (TLS, ALPN h2): its :status. */
  http2Status(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const session = connect(this.base, { ca: this.ca });
      session.on('error', reject);
      const req = session.request({ ':path': path });
      req.on('response', (headers) => {
        resolve(Number(headers[':status']));
        req.close();
        session.close();
      });
      req.on('error', reject);
      req.end();
    });
  }

  close() {
    for (const agent of this.agents.values()) agent.destroy();
  }
}
