import { describe, expect, it } from 'vitest';
import { makeLiveEvent as event, testUser } from '../../../test/utils';
import { registerLiveHandlers } from '../../lib/live-handlers';
import { importsKey } from '../../lib/query-keys';
import { importsLiveHandlers } from './live';

const imports = registerLiveHandlers(importsLiveHandlers);
const data = {
  importId: '01900000-0000-7000-8000-0000000000aa',
  filename: 'leads.csv',
  validRows: 120,
  totalRows: 120,
  invalidRows: 0,
  duplicateRows: 0,
};

describe('a finished import', () => {
  it('refreshes the imports', () => {
    expect(imports.invalidations('lead.import.completed')).toEqual([importsKey]);
  });

  it('is reported with its file name and lead count, and what was skipped, one toast per import', () => {
    const toasts = (events: Parameters<typeof imports.toasts>[0]) => imports.toasts(events, { userId: testUser.id });
    expect(toasts([event('lead.import.completed', data)])).toEqual(['Import of leads.csv finished: 120 leads']);
    expect(
      toasts([event('lead.import.completed', { ...data, validRows: 1, invalidRows: 2, duplicateRows: 1 })]),
    ).toEqual(['Import of leads.csv finished: 1 lead (3 skipped)']);
    expect(
      toasts([event('lead.import.completed', data), event('lead.import.completed', { ...data, filename: '' })]),
    ).toEqual(['Import of leads.csv finished: 120 leads', 'Import of leads finished: 120 leads']);
  });
});
