import type { CreateUserBody, ListUsersQuery, UpdateMeBody, UpdateUserBody, User } from '@crewdesk/contracts';
import { uuidv7 } from 'uuidv7';
import type { Database, Executor } from '../../infra/db/client.js';
import type { EventSink } from '../../infra/events/events.js';
import type { Actor } from '../../shared/access.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { normalisePhone } from '../../shared/phone.js';
import { iso } from '../../shared/time.js';
import { hashPassword, isCommonPassword } from '../auth/passwords.js';
import type { UserRow, UsersRepository } from './users.repository.js';

export interface UsersServiceDeps {
  db: Database;
  users: UsersRepository;
  /** Ends the sessions of a user (but `exceptId`) inside the caller's transaction. */
  revokeSessions: (userId: string, tx: Executor, exceptId?: string) => Promise<string[]>;
  /** Tells every request path about revocations once they are committed. */
  announceRevoked: (sessionIds: string[]) => Promise<void>;
  defaultPhoneRegion: string | null;
  events: EventSink;
  /** After a committed name change: cached answers that show the name (an agent's, on leads) are stale. */
  renamed: (user: UserRow, before: UserRow) => Promise<void>;
}

export function toUserDto(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    mobile: row.mobile,
    role: row.role,
    active: row.active,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function assertAcceptablePassword(password: string, path = 'password') {
  if (isCommonPassword(password)) {
    throw fieldError(path, 'This password is too common; choose one that is harder to guess');
  }
}

export class UsersService {
  constructor(private readonly deps: UsersServiceDeps) {}

  private mobile(input: string | null | undefined): string | null | undefined {
    if (input === undefined || input === null) return input;
    const result = normalisePhone(input, this.deps.defaultPhoneRegion);
    if (!result.ok) throw fieldError('mobile', result.message);
    return result.e164;
  }

  async create(input: CreateUserBody, tx?: Executor): Promise<UserRow> {
    assertAcceptablePassword(input.password);
    const mobile = this.mobile(input.mobile) ?? null;
    const passwordHash = await hashPassword(input.password);
    try {
      return await this.deps.users.insert(
        { id: uuidv7(), email: input.email, name: input.name, mobile, passwordHash, role: input.role },
        tx,
      );
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError('conflict', 'An account with this email already exists', {
          errors: [{ path: 'email', message: 'Already registered' }],
        });
      throw err;
    }
  }

  async get(id: string): Promise<UserRow> {
    const row = await this.deps.users.findById(id);
    if (!row) throw notFound('User');
    return row;
  }

  async list(query: ListUsersQuery) {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.deps.users.list({
      role: query.role,
      active: query.active,
      q: query.q,
      after,
      limit: query.limit,
    });
    return toPage(rows, query.limit, toUserDto, (r) => encodeCursor(null, r.id));
  }

  /** Admin edits. Role changes and deactivation end the user's sessions at once. */
  /**
   * Admin edits, all or nothing. Role changes, deactivation and a new password end the user's
   * sessions at once. The password is checked before anything is written.
   */
  async update(id: string, patch: UpdateUserBody, newPassword?: string): Promise<UserRow> {
    if (newPassword !== undefined) assertAcceptablePassword(newPassword);
    const passwordHash = newPassword === undefined ? undefined : await hashPassword(newPassword);
    const mobile = this.mobile(patch.mobile);
    const { updated, revoked, before } = await this.deps.db.transaction(async (tx) => {
      const current = await this.deps.users.findForUpdate(id, tx);
      if (!current) throw notFound('User');
      const demoting = patch.role !== undefined && patch.role !== 'admin' && current.role === 'admin';
      const deactivating = patch.active === false && current.active;
      if ((demoting || deactivating) && current.role === 'admin' && current.active) {
        await this.deps.users.lockAdminSet(tx);
        if ((await this.deps.users.countActiveAdmins(tx)) <= 1) {
          throw new AppError('conflict', 'Crewdesk needs at least one active admin', {
            errors: [{ path: demoting ? 'role' : 'active', message: 'This is the last active admin' }],
          });
        }
      }
      const updated = await this.deps.users.update(
        id,
        { role: patch.role, active: patch.active, name: patch.name, mobile, passwordHash },
        tx,
      );
      if (!updated) throw notFound('User');
      const revoked =
        (patch.role !== undefined && patch.role !== current.role) || deactivating || passwordHash
          ? await this.deps.revokeSessions(id, tx)
          : [];
      if (deactivating) {
        await this.deps.events.record(tx, [
          { topic: 'user.deactivated', data: { userId: id, role: current.role }, audience: [id] },
        ]);
      }
      return { updated, revoked, before: current };
    });
    this.deps.events.committed();
    await this.deps.announceRevoked(revoked);
    if (patch.name !== undefined) await this.deps.renamed(updated, before);
    return updated;
  }

  /** A new password, and the end of every session but `keepSessionId`, in one transaction. */
  async setPassword(id: string, password: string, keepSessionId?: string): Promise<void> {
    assertAcceptablePassword(password, keepSessionId ? 'newPassword' : 'password');
    const passwordHash = await hashPassword(password);
    const revoked = await this.deps.db.transaction(async (tx) => {
      if (!(await this.deps.users.update(id, { passwordHash }, tx))) throw notFound('User');
      return this.deps.revokeSessions(id, tx, keepSessionId);
    });
    await this.deps.announceRevoked(revoked);
  }

  async updateMe(actor: Actor, patch: UpdateMeBody): Promise<UserRow> {
    const updated = await this.deps.users.update(actor.id, { name: patch.name, mobile: this.mobile(patch.mobile) });
    if (!updated) throw notFound('User');
    if (patch.name !== undefined) await this.deps.renamed(updated, updated);
    return updated;
  }
}
