import { liveHandler } from '../../lib/live-handlers';
import { agentsKey } from '../../lib/query-keys';

/** Agents' lead counts change with the leads: assigned, imported, or moved off a deactivated agent. */
export const agentsLiveHandlers = [
  liveHandler({ topics: ['lead.assigned', 'lead.import.completed', 'user.deactivated'], invalidate: [agentsKey] }),
];
