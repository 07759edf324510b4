import type { Cluster } from './harness.js';

export interface LoadFigures {
  requests: number;
  gets: number;
  failedGets: string[];
  posts: number;
  /** POSTs whose first attempt was not acknowledged (retried with the same Idempotency-Key). */
  failedFirstPosts: string[];
  /** marker → task id, for every POST acknowledged (201, first or replayed). */
  acknowledged: Map<string, string>;
  /** POSTs never acknowledged after the retries. */
  unacknowledged: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A bounded, steady load through the gateway: `clients` clients, each from its own loopback address
 * and paced under the gateway's 10 r/s per address, alternating a task list (GET) and a task
 * create (POST) whose title is a unique marker and whose Idempotency-Key is that marker. A POST
 * that is not acknowledged is retried with the same key (at most `postRetries` times, 400 ms
 * apart); a GET is never retried by the client. Runs until `stop()`.
 */
export function startLoad(
  cluster: Cluster,
  auth: Record<string, string>,
  prefix: string,
  clients = 6,
  postRetries = 8,
) {
  const figures: LoadFigures = {
    requests: 0,
    gets: 0,
    failedGets: [],
    posts: 0,
    failedFirstPosts: [],
    acknowledged: new Map(),
    unacknowledged: [],
  };
  let running = true;
  const PACE_MS = 180; // about 5.5 requests a second per client

  const post = async (from: string, marker: string): Promise<string | null> => {
    for (let attempt = 0; attempt <= postRetries; attempt++) {
      figures.requests++;
      let outcome: string;
      try {
        const res = await cluster.client.call('POST', '/api/v1/tasks', {
          from,
          headers: { ...auth, 'idempotency-key': marker },
          body: { title: marker },
        });
        if (res.status === 201) return res.json<{ id: string }>().id;
        outcome = `${res.status} ${res.text.slice(0, 120)}`;
      } catch (err) {
        outcome = String(err);
      }
      if (attempt === 0) figures.failedFirstPosts.push(`${marker}: ${outcome}`);
      await sleep(400);
    }
    return null;
  };

  const loops = Array.from({ length: clients }, async (_, c) => {
    const from = `127.0.2.${c + 1}`;
    for (let n = 0; running; n++) {
      const started = Date.now();
      if (n % 2 === 0) {
        figures.gets++;
        figures.requests++;
        try {
          const res = await cluster.client.call('GET', '/api/v1/tasks?limit=5', { from, headers: auth });
          if (res.status !== 200) figures.failedGets.push(`${res.status} ${res.text.slice(0, 120)}`);
        } catch (err) {
          figures.failedGets.push(String(err));
        }
      } else {
        figures.posts++;
        const marker = `${prefix}-${c}-${n}`;
        const id = await post(from, marker);
        if (id) figures.acknowledged.set(marker, id);
        else figures.unacknowledged.push(marker);
      }
      await sleep(Math.max(0, PACE_MS - (Date.now() - started)));
    }
  });

  return {
    figures,
    async stop(): Promise<LoadFigures> {
      running = false;
      await Promise.all(loops);
      return figures;
    },
  };
}

/** What the database holds for a load's markers: tasks per marker. */
export async function storedMarkers(cluster: Cluster, prefix: string): Promise<Map<string, string[]>> {
  const { rows } = await cluster.db.query<{ title: string; ids: string[] }>(
    `select title, array_agg(id::text) as ids from tasks where title like $1 group by title`,
    [`${prefix}-%`],
  );
  return new Map(rows.map((row) => [row.title, row.ids]));
}
