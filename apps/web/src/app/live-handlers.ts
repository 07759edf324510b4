import { agentsLiveHandlers } from '../features/agents';
import { dashboardLiveHandlers } from '../features/dashboard';
import { importsLiveHandlers } from '../features/imports';
import { leadsLiveHandlers } from '../features/leads';
import { tasksLiveHandlers } from '../features/tasks';
import { usersLiveHandlers } from '../features/users';
import { registerLiveHandlers } from '../lib/live-handlers';

/** What each live event refreshes and says, feature by feature; toasts come in this order. */
export const liveHandlers = registerLiveHandlers([
  ...tasksLiveHandlers,
  ...dashboardLiveHandlers,
  ...leadsLiveHandlers,
  ...agentsLiveHandlers,
  ...importsLiveHandlers,
  ...usersLiveHandlers,
]);
