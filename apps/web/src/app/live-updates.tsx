import { useLiveUpdates } from '../lib/use-live-updates';
import { liveHandlers } from './live-handlers';

/**
 * The signed-in shell's live updates, with every feature's handlers. Its own chunk: the stream
 * client checks each event against the contracts' schemas, and that validator need not delay the
 * first page.
 */
export default function LiveUpdates() {
  useLiveUpdates(liveHandlers);
  return null;
}
