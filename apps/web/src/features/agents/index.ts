// The agents feature's public surface: what app/ and the other features may import from it.
export { useActiveAgents } from './api/agents';
export { agentsLiveHandlers } from './live';

/** The agents admin page, a chunk of its own that loads when the route is first opened. */
export const loadAgentsPage = async () => ({ Component: (await import('./routes/agents-page')).AgentsPage });
