import type { LiveEventOf } from '@crewdesk/contracts';
import { liveHandler } from '../../lib/live-handlers';
import { tasksKey } from '../../lib/query-keys';

const taskTopics = ['task.created', 'task.updated', 'task.completed', 'task.deleted'] as const;
type TaskEvent = LiveEventOf<(typeof taskTopics)[number]>;

const verbs: Record<TaskEvent['topic'], string> = {
  'task.created': 'created',
  'task.updated': 'updated',
  'task.completed': 'completed',
  'task.deleted': 'deleted',
};

const TITLE_MAX = 40;
/** A title in quotes, cut at a word when it is long. */
function quote(title: string) {
  if (title.length <= TITLE_MAX) return `“${title}”`;
  const cut = title.slice(0, TITLE_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `“${(space > TITLE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…”`;
}

/**
 * Every task event of a batch in one toast, counting tasks rather than events. A task deleted in the
 * batch it was seen in keeps its title. The signed-in user's own changes read "on another device".
 */
function taskMessage(events: TaskEvent[], userId: string | null): string {
  const titles = new Map<string, string>();
  const ids: string[] = [];
  for (const e of events) {
    const id = e.topic === 'task.deleted' ? e.data.id : e.data.task.id;
    if (!ids.includes(id)) ids.push(id);
    if (e.topic !== 'task.deleted') titles.set(id, e.data.task.title);
  }
  const where = userId !== null && events.every((e) => e.actorId === userId) ? ' on another device' : '';
  const last = events[events.length - 1] as TaskEvent;
  if (ids.length === 1) {
    const title = titles.get(ids[0] as string);
    return `${title === undefined ? 'A task' : `Task ${quote(title)}`} was ${verbs[last.topic]}${where}`;
  }
  const sameVerb = events.every((e) => e.topic === last.topic);
  return `${ids.length} tasks were ${sameVerb ? verbs[last.topic] : 'changed'}${where}`;
}

export const tasksLiveHandlers = [
  liveHandler({
    topics: taskTopics,
    invalidate: [tasksKey],
    toast: (events, { userId }) => [taskMessage(events, userId)],
  }),
];
