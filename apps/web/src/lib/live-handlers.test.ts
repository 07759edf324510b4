import { describe, expect, it, vi } from 'vitest';
import { makeLiveEvent as event, makeTask } from '../../test/utils';
import { liveHandler, registerLiveHandlers } from './live-handlers';

describe('the registered live handlers', () => {
  it('refresh, for a topic, the queries of every handler that lists it', () => {
    const handlers = registerLiveHandlers([
      liveHandler({ topics: ['task.created', 'task.deleted'], invalidate: [['a']] }),
      liveHandler({ topics: ['task.created'], invalidate: [['b'], ['c']] }),
      liveHandler({ topics: ['lead.assigned'] }),
    ]);
    expect(handlers.invalidations('task.created')).toEqual([['a'], ['b'], ['c']]);
    expect(handlers.invalidations('task.deleted')).toEqual([['a']]);
    expect(handlers.invalidations('lead.assigned')).toEqual([]);
    expect(handlers.invalidations('user.deactivated')).toEqual([]);
  });

  it('give each toast only the events of its own topics, in arrival order, and toast in registration order', () => {
    const tasks = vi.fn((events: { id: string }[]) => [`tasks: ${events.length}`]);
    const silent = vi.fn(() => []);
    const handlers = registerLiveHandlers([
      liveHandler({ topics: ['user.deactivated'], toast: silent }),
      liveHandler({ topics: ['lead.assigned'], toast: (events) => events.map((e) => `${e.data.count} leads`) }),
      liveHandler({ topics: ['task.created', 'task.deleted'], toast: tasks }),
    ]);
    const created = event('task.created', { task: makeTask(1) });
    const assigned = event('lead.assigned', { count: 2, reason: 'import' });
    const deleted = event('task.deleted', { id: makeTask(1).id });

    expect(handlers.toasts([created, assigned, deleted], { userId: null })).toEqual(['2 leads', 'tasks: 2']);
    expect(tasks).toHaveBeenCalledExactlyOnceWith([created, deleted], { userId: null });
    // A handler with none of its topics in the batch is not asked.
    expect(silent).not.toHaveBeenCalled();
  });
});
