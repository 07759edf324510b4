import type { Database } from '../db/client.js';
import { activity } from '../db/schema/index.js';
import type { DomainEvent } from './events.js';

/**
 * The activity consumer: records each event once in the activity log. The event id (with its time,
 * the partition key) is the primary key, so a repeated delivery changes nothing; it reports whether
 * this delivery was the first.
 */
export function activityConsumer(db: Database, onRecorded?: (event: DomainEvent, first: boolean) => void) {
  return async (event: DomainEvent) => {
    const inserted = await db
      .insert(activity)
      .values({
        eventId: event.id,
        topic: event.topic,
        actorId: event.actorId,
        payload: event.data,
        occurredAt: new Date(event.occurredAt),
      })
      // An event's time is part of it, so a redelivery conflicts on both (the table's key).
      .onConflictDoNothing({ target: [activity.eventId, activity.occurredAt] })
      .returning({ id: activity.eventId });
    onRecorded?.(event, inserted.length > 0);
  };
}
