import type { CreateUserBody, ListUsersQuery, UpdateMeBody, UpdateUserBody, User } from '@crewdesk/contracts';
import { newId } from '../../shared/ids.js';
import type { Database, Executor } from '../../infra/db/client.js';
import type { EventSink } from '../../infra/events/events.js';
import { assertRole, type Actor } from '../../shared/access.js';
import { isUniqueViolation } from '../../shared/db-errors.js';
import { AppError, fieldError, notFound } from '../../shared/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../shared/pagination.js';
import { normalisePhone } from '../../shared/phone.js';
import { iso } from '../../shared/time.js';
import { burnVerification, hashPassword, isCommonPassword, verifyPassword } from './passwords.js';
import { createUsersRepository, type UserRow, type UsersRepository } from './users.repository.js';

/** How the users module ends sessions: the auth module's session guard, or nothing (the CLI). */
export interface SessionEnder {
  /** Ends the sessions of a user (but `exceptId`) inside the caller's transaction; their ids. */
  endAllForUser(userId: string, tx: Executor, exceptId?: string): Promise<string[]>;
  /** Tells every request path about revocations once they are committed. */
  announce(sessionIds: string[]): Promise<void>;
}

export interface UsersServiceDeps {
  db: Database;
  defaultPhoneRegion: string | null;
  events: EventSink;
  sessions: SessionEnder;
}

/** Someone whose name changed, as they were before and are now. */
export type RenameListener = (user: User, before: User) => Promise<void>;

function toUserDto(row: UserRow): User {
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

function assertAcceptablePassword(password: string, path = 'password') {
  if (isCommonPassword(password)) {
    throw fieldError(path, 'This password is too common; choose one that is harder to guess');
  }
}

const emailTaken = () =>
  new AppError('conflict', 'An account with this email already exists', {
    errors: [{ path: 'email', message: 'Already registered' }],
  });

/**
 * Accounts and their credentials. Admin management takes the acting admin; sign-up, first-admin
 * setup and the bootstrap admin act for nobody yet and say so in their names.
 */
export class UsersService {
  private readonly users: UsersRepository;
  private readonly renameListeners: RenameListener[] = [];

  constructor(private readonly deps: UsersServiceDeps) {
    this.users = createUsersRepository(deps.db);
  }

  /** Lets another module react to a committed name change (cached answers that show the name). */
  onRenamed(listener: RenameListener) {
    this.renameListeners.push(listener);
  }

  private mobile(input: string | null | undefined): string | null | undefined {
    if (input === undefined || input === null) return input;
    const result = normalisePhone(input, this.deps.defaultPhoneRegion);
    if (!result.ok) throw fieldError('mobile', result.message);
    return result.e164;
  }

  private async insert(input: CreateUserBody, tx?: Executor): Promise<User> {
    assertAcceptablePassword(input.password);
    const mobile = this.mobile(input.mobile) ?? null;
    const passwordHash = await hashPassword(input.password);
    try {
      return toUserDto(
        await this.users.insert(
          { id: newId(), email: input.email, name: input.name, mobile, passwordHash, role: input.role },
          tx,
        ),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw emailTaken();
      throw err;
    }
  }

  /** Sign-up and the bootstrap admin: an account nobody signed in created. */
  createAccount(input: CreateUserBody): Promise<User> {
    return this.insert(input);
  }

  /** The first admin, from the one-time setup link: refused once any active admin exists. */
  async createFirstAdmin(input: Omit<CreateUserBody, 'role'>): Promise<User> {
    return this.deps.db.transaction(async (tx) => {
      await this.users.lockAdminSet(tx);
      if ((await this.users.countActiveAdmins(tx)) > 0) {
        throw new AppError('conflict', 'Crewdesk already has an admin; sign in instead');
      }
      return this.insert({ ...input, role: 'admin' }, tx);
    });
  }

  async hasActiveAdmin(): Promise<boolean> {
    return (await this.users.countActiveAdmins()) > 0;
  }

  async findById(id: string): Promise<User | null> {
    const row = await this.users.findById(id);
    return row ? toUserDto(row) : null;
  }

  async findByEmail(email: string): Promise<User | null> {
    const row = await this.users.findByEmail(email);
    return row ? toUserDto(row) : null;
  }

  /**
   * The account these credentials prove, or null, after the same argon2 work whether the email is
   * unknown or the password wrong. Deactivated accounts are returned too: the caller decides.
   */
  async checkCredentials(email: string, password: string): Promise<User | null> {
    const row = await this.users.findByEmail(email);
    if (!row) {
      await burnVerification(password);
      return null;
    }
    return (await verifyPassword(row.passwordHash, password)) ? toUserDto(row) : null;
  }

  async checkPassword(id: string, password: string): Promise<boolean> {
    const row = await this.users.findById(id);
    if (!row) throw notFound('User');
    return verifyPassword(row.passwordHash, password);
  }

  async me(actor: Actor): Promise<User> {
    const row = await this.users.findById(actor.id);
    if (!row) throw notFound('User');
    return toUserDto(row);
  }

  async get(actor: Actor, id: string): Promise<User> {
    assertRole(actor, 'admin');
    const row = await this.users.findById(id);
    if (!row) throw notFound('User');
    return toUserDto(row);
  }

  async list(actor: Actor, query: ListUsersQuery) {
    assertRole(actor, 'admin');
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.users.list({
      role: query.role,
      active: query.active,
      q: query.q,
      after,
      limit: query.limit,
    });
    return toPage(rows, query.limit, toUserDto, (r) => encodeCursor(null, r.id));
  }

  async create(actor: Actor, input: CreateUserBody): Promise<User> {
    assertRole(actor, 'admin');
    return this.insert(input);
  }

  /**
   * Admin edits, all or nothing. Role changes, deactivation and a new password end the user's
   * sessions at once. The password is checked before anything is written; the last active admin
   * can be neither demoted nor deactivated.
   */
  async update(actor: Actor, id: string, patch: UpdateUserBody, newPassword?: string): Promise<User> {
    assertRole(actor, 'admin');
    if (newPassword !== undefined) assertAcceptablePassword(newPassword);
    const passwordHash = newPassword === undefined ? undefined : await hashPassword(newPassword);
    const mobile = this.mobile(patch.mobile);
    const { updated, revoked, before } = await this.deps.db.transaction(async (tx) => {
      const current = await this.users.findForUpdate(id, tx);
      if (!current) throw notFound('User');
      const demoting = patch.role !== undefined && patch.role !== 'admin' && current.role === 'admin';
      const deactivating = patch.active === false && current.active;
      if ((demoting || deactivating) && current.role === 'admin' && current.active) {
        await this.users.lockAdminSet(tx);
        if ((await this.users.countActiveAdmins(tx)) <= 1) {
          throw new AppError('conflict', 'Crewdesk needs at least one active admin', {
            errors: [{ path: demoting ? 'role' : 'active', message: 'This is the last active admin' }],
          });
        }
      }
      const updated = await this.users.update(
        id,
        { role: patch.role, active: patch.active, name: patch.name, mobile, passwordHash },
        tx,
      );
      if (!updated) throw notFound('User');
      const revoked =
        (patch.role !== undefined && patch.role !== current.role) || deactivating || passwordHash
          ? await this.deps.sessions.endAllForUser(id, tx)
          : [];
      if (deactivating) {
        await this.deps.events.record(tx, [
          { topic: 'user.deactivated', data: { userId: id, role: current.role }, audience: [id] },
        ]);
      }
      return { updated: toUserDto(updated), revoked, before: toUserDto(current) };
    });
    this.deps.events.committed();
    await this.deps.sessions.announce(revoked);
    if (patch.name !== undefined) await this.renamed(updated, before);
    return updated;
  }

  /** A new password, and the end of every session but `keepSessionId`, in one transaction. */
  async setPassword(id: string, password: string, keepSessionId?: string): Promise<void> {
    assertAcceptablePassword(password, keepSessionId ? 'newPassword' : 'password');
    const passwordHash = await hashPassword(password);
    const revoked = await this.deps.db.transaction(async (tx) => {
      if (!(await this.users.update(id, { passwordHash }, tx))) throw notFound('User');
      return this.deps.sessions.endAllForUser(id, tx, keepSessionId);
    });
    await this.deps.sessions.announce(revoked);
  }

  async updateMe(actor: Actor, patch: UpdateMeBody): Promise<User> {
    const row = await this.users.update(actor.id, { name: patch.name, mobile: this.mobile(patch.mobile) });
    if (!row) throw notFound('User');
    const updated = toUserDto(row);
    if (patch.name !== undefined) await this.renamed(updated, updated);
    return updated;
  }

  private async renamed(user: User, before: User) {
    for (const listener of this.renameListeners) await listener(user, before);
  }
}
