import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import { compiled, leadRowsWorker } from '../../paths.js';
import type { ChunkChecker, ChunkResult, RowChunk } from './lead-rows.js';

/**
 * Worker threads for checking large lead files, so parsing 100,000 phone numbers neither stalls
 * other requests nor runs on one core. No thread exists until the first upload asks for them
 * (`warm`, called as an upload starts, so they boot while the file arrives); then they stay.
 */
export function createRowPool(threads = Math.min(2, availableParallelism())) {
  let pool: Promise<Piscina> | null = null;
  // piscina itself loads with the first upload too.
  const warm = () => {
    pool ??= import('piscina').then(
      ({ Piscina }) =>
        new Piscina({
          filename: leadRowsWorker,
          // From source the worker is TypeScript, which tsx compiles there too; the release build's
          // worker is JavaScript and inherits the process's own flags.
          execArgv: compiled ? undefined : ['--import', 'tsx'],
          minThreads: Math.max(1, threads),
          maxThreads: Math.max(1, threads),
          resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
        }),
    );
    return pool;
  };
  const checker: ChunkChecker = async (chunk: RowChunk) => (await warm()).run(chunk) as Promise<ChunkResult>;
  return {
    checker,
    // A pool that cannot start fails the checker's call; warming alone must not be an unhandled rejection.
    warm: () => void warm().catch(() => {}),
    async close() {
      const closing = pool;
      pool = null;
      await (await closing)?.destroy();
    },
  };
}
