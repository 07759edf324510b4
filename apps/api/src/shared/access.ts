import type { Role } from '@crewdesk/contracts';
import { notFound } from './errors.js';

/** Who is making the request, as proven by a verified access token. */
export interface Actor {
  id: string;
  role: Role;
  sessionId: string;
}

export type AccessMode = 'read' | 'write';

/**
 * The one object-level access rule: owners do anything with their own objects; admins may read
 * anyone's. Everything else is answered exactly as a missing object would be, so ids leak nothing.
 */
export function canAccess(actor: Actor, ownerId: string, mode: AccessMode): boolean {
  return actor.id === ownerId || (mode === 'read' && actor.role === 'admin');
}

export function assertAccess<T extends { ownerId: string }>(
  actor: Actor,
  object: T | undefined | null,
  mode: AccessMode,
  what: string,
): T {
  if (!object || !canAccess(actor, object.ownerId, mode)) throw notFound(what);
  return object;
}

/** Whose objects a list shows: your own, or (admins only) the owner you name. */
export function listOwner(actor: Actor, requestedOwnerId: string | undefined): string {
  if (requestedOwnerId === undefined || requestedOwnerId === actor.id) return actor.id;
  if (actor.role !== 'admin') throw notFound('Owner');
  return requestedOwnerId;
}
