// The leads feature's public surface: what app/ and the other features may import from it.
export { leadsLiveHandlers } from './live';

/** The leads page ("My leads" for agents), a chunk of its own that loads when the route is first opened. */
export const loadLeadsPage = async () => ({ Component: (await import('./routes/leads-page')).LeadsPage });
