// The leads feature's public surface: what app/ and the other features may import from it.
export { leadsLiveHandlers } from './live';
export { LeadLink } from './components/lead-link';

/** The leads page ("My leads" for agents), a chunk of its own that loads when the route is first opened. */
export const loadLeadsPage = async () => ({ Component: (await import('./routes/leads-page')).LeadsPage });
/** One lead, with its notes timeline and open follow-ups. */
export const loadLeadPage = async () => ({ Component: (await import('./routes/lead-page')).LeadPage });
