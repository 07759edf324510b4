import type { WorkspaceSettings } from '@crewdesk/contracts';
import { z } from 'zod';
import { Button } from '../../../components/button';
import { Field } from '../../../components/field';
import { FormError } from '../../../components/form-error';
import { ErrorState, Spinner } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { useServerForm } from '../../../lib/forms';
import {
  countryName,
  phoneCountries,
  useUpdateWorkspaceSettings,
  useWorkspaceSettings,
} from '../../../lib/workspace-settings';

const workspaceForm = z.object({ defaultPhoneCountry: z.string(), publicSignup: z.boolean() });

/** Admins: the default phone country for numbers written without one, and whether anyone may sign up. */
export function WorkspaceSection() {
  const settings = useWorkspaceSettings();
  return (
    <section className="card stack" aria-labelledby="workspace-h">
      <h2 id="workspace-h">Workspace</h2>
      {settings.isPending ? (
        <Spinner />
      ) : settings.isError ? (
        <ErrorState error={settings.error} retry={() => void settings.refetch()} />
      ) : (
        <WorkspaceForm settings={settings.data} />
      )}
    </section>
  );
}

const countries = phoneCountries();

function WorkspaceForm({ settings }: { settings: WorkspaceSettings }) {
  const update = useUpdateWorkspaceSettings();
  const toast = useToast();
  const {
    register,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({
    schema: workspaceForm,
    fields: ['defaultPhoneCountry', 'publicSignup'],
    values: { defaultPhoneCountry: settings.defaultPhoneCountry ?? '', publicSignup: settings.publicSignup },
  });
  const onSubmit = submit(async (v) => {
    await update.mutateAsync({ defaultPhoneCountry: v.defaultPhoneCountry || null, publicSignup: v.publicSignup });
    toast('Workspace settings saved', { tone: 'success' });
  });
  const example = settings.phoneExample;
  return (
    <form onSubmit={onSubmit} noValidate className="stack">
      <Field
        label="Default phone country"
        error={errors.defaultPhoneCountry?.message}
        hint={
          settings.defaultPhoneCountry && example
            ? `Numbers without a country code are read as ${countryName(settings.defaultPhoneCountry)} numbers: ${example.national} becomes ${example.international}.`
            : 'None: every phone number in an imported file needs its country code, e.g. +1 415 555 0100.'
        }
      >
        <select {...register('defaultPhoneCountry')}>
          <option value="">None (numbers need their country code)</option>
          {countries.map((c) => (
            <option key={c.code} value={c.code}>
              {c.name} ({c.code})
            </option>
          ))}
        </select>
      </Field>
      <label className="check-label">
        <input type="checkbox" {...register('publicSignup')} />
        <span>
          Anyone can create an account from the sign-in page
          <span className="muted"> (new accounts are members; admins add agents and admins)</span>
        </span>
      </label>
      <FormError message={formError} />
      <Button type="submit" variant="primary" busy={isSubmitting}>
        Save workspace settings
      </Button>
    </form>
  );
}
