import type { AssignReason } from '@crewdesk/contracts';
import type { NewEvent } from '../../infra/events/events.js';
import type { Actor } from '../../shared/access.js';

/** Lead ids travel in the event up to this many; the count always. */
const EVENT_LEAD_IDS = 100;

/** Tells an agent that leads are now theirs: which ones (up to 100) or, for an import, which import. */
export function assignedEvent(
  actor: Actor,
  agentId: string,
  assigned: { reason: AssignReason; leadIds: string[] } | { reason: 'import'; count: number; importId: string },
): NewEvent<'lead.assigned'> {
  const data =
    'leadIds' in assigned
      ? { reason: assigned.reason, count: assigned.leadIds.length, leadIds: assigned.leadIds.slice(0, EVENT_LEAD_IDS) }
      : assigned;
  return { topic: 'lead.assigned', data, audience: [agentId], actorId: actor.id, source: actor.source };
}

/** Tells the uploader that an import committed, with its counts. */
export function importCompletedEvent(
  actor: Actor,
  data: NewEvent<'lead.import.completed'>['data'],
): NewEvent<'lead.import.completed'> {
  return { topic: 'lead.import.completed', data, audience: [actor.id], actorId: actor.id, source: actor.source };
}
