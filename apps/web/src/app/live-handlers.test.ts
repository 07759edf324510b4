import { describe, expect, it } from 'vitest';
import { makeLiveEvent as event, makeTask, testUser } from '../../test/utils';
import { agentsKey, importsKey, leadsKey, statsKey, tasksKey, usersKey } from '../lib/query-keys';
import { liveHandlers } from './live-handlers';

const OTHER = '01900000-0000-7000-8000-0000000000ff';
const sorted = (keys: unknown[]) => keys.map((k) => JSON.stringify(k)).sort();

describe('what an event refreshes, all features together', () => {
  it('refreshes task lists and stats for every task event', () => {
    for (const topic of ['task.created', 'task.updated', 'task.completed', 'task.deleted'] as const) {
      expect(sorted(liveHandlers.invalidations(topic))).toEqual(sorted([tasksKey, statsKey]));
    }
  });

  it('refreshes leads and agents (their lead counts) for assignments, and imports too for a finished import', () => {
    expect(sorted(liveHandlers.invalidations('lead.assigned'))).toEqual(sorted([leadsKey, agentsKey]));
    expect(sorted(liveHandlers.invalidations('lead.import.completed'))).toEqual(
      sorted([importsKey, leadsKey, agentsKey]),
    );
    expect(sorted(liveHandlers.invalidations('user.deactivated'))).toEqual(sorted([usersKey, agentsKey, leadsKey]));
  });
});

describe('the toasts of one batch, all features together', () => {
  it('are the tasks’ one, then the leads’ one, then one per finished import', () => {
    const events = [
      event('lead.import.completed', {
        importId: '01900000-0000-7000-8000-0000000000aa',
        filename: 'leads.csv',
        validRows: 2,
        totalRows: 2,
        invalidRows: 0,
        duplicateRows: 0,
      }),
      event('lead.assigned', { count: 2, reason: 'import' }),
      event('task.created', { task: makeTask(1, { title: 'Call Ada' }) }),
      event('user.deactivated', { userId: OTHER, role: 'agent' }),
    ];
    expect(liveHandlers.toasts(events, { userId: testUser.id })).toEqual([
      'Task “Call Ada” was created on another device',
      '2 new leads assigned to you',
      'Import of leads.csv finished: 2 leads',
    ]);
  });

  it('has nothing to say about a deactivated user', () => {
    expect(
      liveHandlers.toasts([event('user.deactivated', { userId: OTHER, role: 'agent' })], { userId: testUser.id }),
    ).toEqual([]);
  });
});
