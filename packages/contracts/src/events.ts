import { z } from 'zod';
import { id, isoDateTime } from './common.js';
import { task } from './tasks.js';
import { role } from './users.js';

/**
 * Domain events: what the outbox stores, RabbitMQ carries, the consumers read and the SSE stream
 * sends to the web client. One schema per topic; nothing else declares them.
 */

const taskChanged = z
  .object({ task })
  .meta({ id: 'TaskChangedEvent', description: 'task.created, task.updated, task.completed: the task as it now is.' });
export const assignReasons = ['import', 'reassign', 'redistribute'] as const;
export type AssignReason = (typeof assignReasons)[number];

export const eventPayloads = {
  'task.created': taskChanged,
  'task.updated': taskChanged,
  'task.completed': taskChanged,
  'task.deleted': z.object({ id }).meta({ id: 'TaskDeletedEvent', description: 'task.deleted: the id of the task.' }),
  'lead.assigned': z
    .object({
      count: z.number().int().nonnegative(),
      reason: z.enum(assignReasons),
      importId: id.optional(),
      /** Up to 100 of the leads; the count is always exact. */
      leadIds: z.array(id).max(100).optional(),
    })
    .meta({ id: 'LeadAssignedEvent', description: 'lead.assigned: leads given to the receiving agent.' }),
  'lead.import.completed': z
    .object({
      importId: id,
      filename: z.string(),
      totalRows: z.number().int().nonnegative(),
      validRows: z.number().int().nonnegative(),
      invalidRows: z.number().int().nonnegative(),
      duplicateRows: z.number().int().nonnegative(),
    })
    .meta({ id: 'LeadImportCompletedEvent', description: 'lead.import.completed: an import finished writing.' }),
  'user.deactivated': z
    .object({ userId: id, role })
    .meta({ id: 'UserDeactivatedEvent', description: 'user.deactivated: the account can no longer sign in.' }),
} as const;

export type Topic = keyof typeof eventPayloads;
export const topics = Object.keys(eventPayloads) as Topic[];
export const topic = z.enum(topics as [Topic, ...Topic[]]);
export type EventPayload<T extends Topic> = z.infer<(typeof eventPayloads)[T]>;

/** What a service says happened, typed by its topic. */
export type EventOf<T extends Topic = Topic> = { [K in T]: { topic: K; data: EventPayload<K> } }[T];

const envelope = {
  id,
  occurredAt: isoDateTime,
  actorId: id.nullable(),
  /** The browser tab (X-Client-Id) whose request caused it, so that tab can skip its own toast. */
  source: z.string().nullable(),
};

function variant<T extends Topic, X extends z.ZodRawShape>(name: T, extra: X) {
  return z.object({ ...envelope, ...extra, topic: z.literal(name), data: eventPayloads[name] });
}
function variants<X extends z.ZodRawShape>(extra: X) {
  return [
    variant('task.created', extra),
    variant('task.updated', extra),
    variant('task.completed', extra),
    variant('task.deleted', extra),
    variant('lead.assigned', extra),
    variant('lead.import.completed', extra),
    variant('user.deactivated', extra),
  ] as const;
}

/** An event as the broker carries it: the envelope, who receives it live, and its payload. */
export const domainEvent = z.discriminatedUnion('topic', variants({ audience: z.array(id) }));
export type DomainEvent = z.infer<typeof domainEvent>;

/** An event as the SSE stream sends it (its `event:` field is the topic): no audience. */
export const liveEvent = z.discriminatedUnion('topic', variants({})).meta({
  id: 'LiveEvent',
  description:
    'The JSON in the data field of each server-sent event on GET /api/v1/events/stream; its event field is the topic.',
});
export type LiveEvent = z.infer<typeof liveEvent>;
/** The live event of one topic. */
export type LiveEventOf<T extends Topic> = Extract<LiveEvent, { topic: T }>;

export const isTopic = (value: unknown): value is Topic =>
  typeof value === 'string' && Object.hasOwn(eventPayloads, value);

/** A broker message back to an event; throws for anything that is not one. */
export function parseDomainEvent(value: unknown): DomainEvent {
  return domainEvent.parse(value);
}

/** A stream message back to an event, or null for anything that is not one. */
export function parseLiveEvent(value: unknown): LiveEvent | null {
  const parsed = liveEvent.safeParse(value);
  return parsed.success ? parsed.data : null;
}
