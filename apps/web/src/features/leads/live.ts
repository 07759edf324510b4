import type { LiveEventOf } from '@crewdesk/contracts';
import { plural } from '../../lib/format';
import { liveHandler } from '../../lib/live-handlers';
import { leadsKey } from '../../lib/query-keys';

/** Every assignment of a batch summed in one toast. */
function assignedMessage(events: LiveEventOf<'lead.assigned'>[]): string[] {
  const count = events.reduce((n, e) => n + e.data.count, 0);
  if (count <= 0) return [];
  const fresh = events.every((e) => e.data.reason === 'import');
  const moved = events.every((e) => e.data.reason === 'reassign' || e.data.reason === 'redistribute');
  return [
    fresh
      ? `${plural(count, 'new lead')} assigned to you`
      : `${plural(count, 'lead')} ${moved ? 'reassigned' : 'assigned'} to you`,
  ];
}

export const leadsLiveHandlers = [
  liveHandler({ topics: ['lead.assigned'], invalidate: [leadsKey], toast: assignedMessage }),
  // A finished import brings new leads; a deactivated agent's open leads are redistributed.
  liveHandler({ topics: ['lead.import.completed', 'user.deactivated'], invalidate: [leadsKey] }),
];
