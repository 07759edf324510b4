import type { Role } from '@crewdesk/contracts';
import { AppError, notFound } from './errors.js';

/** Who is making the request, as proven by a verified access token. */
export interface Actor {
  id: string;
  role: Role;
  sessionId: string;
  /** The browser tab making the request (X-Client-Id), carried into the events it causes. */
  source?: string | null;
}

export type AccessMode = 'read' | 'write';
/** What admins may do with objects they do not own: read them (tasks), or also change them (leads). */
export interface AccessPolicy {
  admin: AccessMode;
}
const ADMINS_READ: AccessPolicy = { admin: 'read' };

/**
 * The one object-level access rule: owners do anything with their own objects; admins may read
 * anyone's, or change them where the policy says so. Everything else is answered exactly as a
 * missing object would be, so ids leak nothing.
 */
export function canAccess(actor: Actor, ownerId: string | null, mode: AccessMode, policy = ADMINS_READ): boolean {
  if (ownerId !== null && actor.id === ownerId) return true;
  return actor.role === 'admin' && (mode === 'read' || policy.admin === 'write');
}

export function assertAccess<T>(
  actor: Actor,
  object: T | undefined | null,
  ownerOf: (object: T) => string | null,
  mode: AccessMode,
  what: string,
  policy = ADMINS_READ,
): T {
  if (!object || !canAccess(actor, ownerOf(object), mode, policy)) throw notFound(what);
  return object;
}

/** Whose objects a list shows: your own, or (admins only) the owner you name. */
export function listOwner(actor: Actor, requestedOwnerId: string | undefined): string {
  if (requestedOwnerId === undefined || requestedOwnerId === actor.id) return actor.id;
  if (actor.role !== 'admin') throw notFound('Owner');
  return requestedOwnerId;
}

/** Role checks for service methods that only some roles may call (the routes check the same first). */
export function assertRole(actor: Actor, ...roles: Role[]): void {
  if (!roles.includes(actor.role)) throw new AppError('forbidden', 'Your role does not allow this');
}

/**
 * Whose objects an unfiltered read covers: admins everyone's (null), everyone else only their own
 * (an agent's leads, for example), whatever filter they send.
 */
export function ownScope(actor: Actor): string | null {
  return actor.role === 'admin' ? null : actor.id;
}
