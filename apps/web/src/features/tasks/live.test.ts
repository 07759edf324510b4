import { describe, expect, it } from 'vitest';
import { makeLiveEvent as event, makeTask, testUser } from '../../../test/utils';
import { registerLiveHandlers } from '../../lib/live-handlers';
import { tasksKey } from '../../lib/query-keys';
import { tasksLiveHandlers } from './live';

const ME = testUser.id;
const OTHER = '01900000-0000-7000-8000-0000000000ff';
const tasks = registerLiveHandlers(tasksLiveHandlers);
const toasts = (events: Parameters<typeof tasks.toasts>[0]) => tasks.toasts(events, { userId: ME });

describe('task events', () => {
  it('refresh the task lists', () => {
    for (const topic of ['task.created', 'task.updated', 'task.completed', 'task.deleted'] as const) {
      expect(tasks.invalidations(topic)).toEqual([tasksKey]);
    }
    expect(tasks.invalidations('lead.assigned')).toEqual([]);
  });
});

describe('the task toast', () => {
  it('names a task completed by the same user on another device', () => {
    const e = event('task.completed', { task: makeTask(1, { title: 'Call Ada', status: 'completed' }) });
    expect(toasts([e])).toEqual(['Task “Call Ada” was completed on another device']);
  });

  it('leaves out "on another device" when someone else made the change, and shortens long titles', () => {
    const title = 'Prepare the quarterly review of every single account we have';
    const e = event('task.updated', { task: makeTask(1, { title }) }, { actorId: OTHER });
    expect(toasts([e])).toEqual(['Task “Prepare the quarterly review of every…” was updated']);
  });

  it('coalesces several task events into one toast, counting tasks rather than events', () => {
    const done = [1, 2, 3].map((i) => event('task.completed', { task: makeTask(i) }));
    expect(toasts(done)).toEqual(['3 tasks were completed on another device']);

    const mixed = [
      event('task.created', { task: makeTask(4) }),
      event('task.updated', { task: makeTask(4) }),
      event('task.deleted', { id: makeTask(5).id }),
    ];
    expect(toasts(mixed)).toEqual(['2 tasks were changed on another device']);
  });

  it('remembers the title of a task deleted in the same batch it was seen in, and says "A task" otherwise', () => {
    const task = makeTask(6, { title: 'Old' });
    expect(toasts([event('task.updated', { task }), event('task.deleted', { id: task.id })])).toEqual([
      'Task “Old” was deleted on another device',
    ]);
    expect(toasts([event('task.deleted', { id: task.id })])).toEqual(['A task was deleted on another device']);
  });

  it('says nothing about events of other topics', () => {
    expect(toasts([event('lead.assigned', { count: 2, reason: 'import' })])).toEqual([]);
  });
});
