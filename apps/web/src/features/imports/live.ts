import type { LiveEventOf } from '@crewdesk/contracts';
import { plural } from '../../lib/format';
import { liveHandler } from '../../lib/live-handlers';
import { importsKey } from '../../lib/query-keys';

/** One toast per finished import: its file, its leads, and what was skipped. */
function importMessage({ data }: LiveEventOf<'lead.import.completed'>): string {
  const skipped = data.invalidRows + data.duplicateRows;
  return `Import of ${data.filename || 'leads'} finished: ${plural(data.validRows, 'lead')}${skipped > 0 ? ` (${skipped} skipped)` : ''}`;
}

export const importsLiveHandlers = [
  liveHandler({
    topics: ['lead.import.completed'],
    invalidate: [importsKey],
    toast: (events) => events.map(importMessage),
  }),
];
