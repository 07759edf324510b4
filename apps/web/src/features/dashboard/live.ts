import { liveHandler } from '../../lib/live-handlers';
import { statsKey } from '../../lib/query-keys';

/** The numbers follow the tasks. */
export const dashboardLiveHandlers = [
  liveHandler({
    topics: ['task.created', 'task.updated', 'task.completed', 'task.deleted'],
    invalidate: [statsKey],
  }),
];
