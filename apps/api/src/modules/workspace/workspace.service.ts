import type { UpdateWorkspaceSettingsBody, WorkspaceSettings } from '@crewdesk/contracts';
import { assertRole, type Actor } from '../../shared/access.js';
import { fieldError } from '../../shared/errors.js';
import { isPhoneCountry, phoneExample } from '../../shared/phone.js';
import type { WorkspaceRepository } from './workspace.repository.js';

export interface WorkspaceDefaults {
  /** DEFAULT_PHONE_REGION */
  defaultPhoneCountry: string | null;
  /** ALLOW_REGISTRATION */
  publicSignup: boolean;
}

/**
 * The workspace's settings: what an admin saved, or the environment's defaults until then. Read from
 * the database each time (one primary-key row), so every process and service sees a change at once.
 */
export class WorkspaceService {
  constructor(private readonly deps: { repository: WorkspaceRepository; defaults: WorkspaceDefaults }) {}

  /** The settings in force, without the derived example (for other modules). */
  async current(): Promise<WorkspaceDefaults> {
    const row = await this.deps.repository.find();
    return row
      ? { defaultPhoneCountry: row.defaultPhoneCountry, publicSignup: row.publicSignup }
      : { ...this.deps.defaults };
  }

  async get(actor: Actor): Promise<WorkspaceSettings> {
    assertRole(actor, 'admin');
    return withExample(await this.current());
  }

  async update(actor: Actor, body: UpdateWorkspaceSettingsBody): Promise<WorkspaceSettings> {
    assertRole(actor, 'admin');
    const country = body.defaultPhoneCountry;
    if (country && !isPhoneCountry(country)) {
      throw fieldError('defaultPhoneCountry', `${country} is not a country with phone numbers Crewdesk knows`);
    }
    const next = { ...(await this.current()), ...body };
    const saved = await this.deps.repository.save({ ...next, updatedBy: actor.id });
    return withExample({ defaultPhoneCountry: saved.defaultPhoneCountry, publicSignup: saved.publicSignup });
  }
}

const withExample = (settings: WorkspaceDefaults): WorkspaceSettings => ({
  ...settings,
  phoneExample: settings.defaultPhoneCountry ? phoneExample(settings.defaultPhoneCountry) : null,
});
