import { describe, expect, it } from 'vitest';
import { makeLiveEvent as event, testUser } from '../../../test/utils';
import { registerLiveHandlers } from '../../lib/live-handlers';
import { leadsKey } from '../../lib/query-keys';
import { leadsLiveHandlers } from './live';

const ME = testUser.id;
const OTHER = '01900000-0000-7000-8000-0000000000ff';
const IMPORT = '01900000-0000-7000-8000-0000000000aa';
const leads = registerLiveHandlers(leadsLiveHandlers);
const toasts = (events: Parameters<typeof leads.toasts>[0]) => leads.toasts(events, { userId: ME });

describe('lead events', () => {
  it('refresh the leads for assignments, finished imports and deactivated agents', () => {
    for (const topic of ['lead.assigned', 'lead.import.completed', 'user.deactivated'] as const) {
      expect(leads.invalidations(topic)).toEqual([leadsKey]);
    }
  });
});

describe('the lead toast', () => {
  it('sums lead assignments into one toast', () => {
    const fromImport = event('lead.assigned', { count: 3, reason: 'import', importId: IMPORT }, { actorId: OTHER });
    expect(toasts([fromImport])).toEqual(['3 new leads assigned to you']);
    expect(toasts([event('lead.assigned', { count: 1, reason: 'import' })])).toEqual(['1 new lead assigned to you']);
    const moved = [
      event('lead.assigned', { count: 2, reason: 'reassign' }),
      event('lead.assigned', { count: 1, reason: 'redistribute' }),
    ];
    expect(toasts(moved)).toEqual(['3 leads reassigned to you']);
  });

  it('says "assigned" for a mix of new and moved leads, and nothing for none', () => {
    const mixed = [
      event('lead.assigned', { count: 2, reason: 'import' }),
      event('lead.assigned', { count: 1, reason: 'reassign' }),
    ];
    expect(toasts(mixed)).toEqual(['3 leads assigned to you']);
    expect(toasts([event('lead.assigned', { count: 0, reason: 'import' })])).toEqual([]);
  });
});
