import { changePasswordBody, personName } from '@crewdesk/contracts';
import { useState } from 'react';
import { z } from 'zod';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { Field } from '../../../components/field';
import { Page } from '../../../components/page';
import { ErrorState, Spinner } from '../../../components/states';
import { useToast } from '../../../components/toasts';
import { errorMessage } from '../../../lib/api-errors';
import { formatDateTime } from '../../../lib/format';
import { useServerForm } from '../../../lib/forms';
import { useSession } from '../../../lib/session';
import { signOut } from '../../auth';
import { useChangePassword, useMySessions, useRevokeSession, useUpdateProfile } from '../api/account';
import { usePageTitle } from '../../../lib/use-page-title';
import { deviceName } from '../lib/device-name';
import { FormError } from '../../../components/form-error';
import { WorkspaceSection } from '../components/workspace-section';

const profileForm = z.object({ name: personName, mobile: z.string().trim().max(32) });

function ProfileSection() {
  const { user } = useSession();
  const update = useUpdateProfile();
  const toast = useToast();
  const {
    register,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({
    schema: profileForm,
    fields: ['name', 'mobile'],
    values: { name: user?.name ?? '', mobile: user?.mobile ?? '' },
  });
  const onSubmit = submit(async (v) => {
    await update.mutateAsync({ name: v.name, mobile: v.mobile || null });
    toast('Profile saved', { tone: 'success' });
  });
  return (
    <section className="card stack" aria-labelledby="profile-h">
      <h2 id="profile-h">Profile</h2>
      <p className="muted">{user?.email}</p>
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Name" error={errors.name?.message}>
          <input autoComplete="name" {...register('name')} />
        </Field>
        <Field label="Mobile" error={errors.mobile?.message} hint="With the country code, e.g. +1 415 555 0100">
          <input type="tel" autoComplete="tel" {...register('mobile')} />
        </Field>
        <FormError message={formError} />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Save profile
        </Button>
      </form>
    </section>
  );
}

function PasswordSection() {
  const change = useChangePassword();
  const toast = useToast();
  const {
    register,
    reset,
    submit,
    formError,
    formState: { errors, isSubmitting },
  } = useServerForm({ schema: changePasswordBody, fields: ['currentPassword', 'newPassword'] });
  const onSubmit = submit(async (v) => {
    await change.mutateAsync(v);
    reset({ currentPassword: '', newPassword: '' });
    toast('Password changed. Other devices were signed out.', { tone: 'success' });
  });
  return (
    <section className="card stack" aria-labelledby="password-h">
      <h2 id="password-h">Password</h2>
      <form onSubmit={onSubmit} noValidate className="stack">
        <Field label="Current password" error={errors.currentPassword?.message}>
          <input type="password" autoComplete="current-password" {...register('currentPassword')} />
        </Field>
        <Field label="New password" error={errors.newPassword?.message} hint="At least 8 characters.">
          <input type="password" autoComplete="new-password" {...register('newPassword')} />
        </Field>
        <FormError message={formError} />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Change password
        </Button>
      </form>
    </section>
  );
}

function SessionsSection() {
  const sessions = useMySessions();
  const [confirmAll, setConfirmAll] = useState(false);
  const revoke = useRevokeSession();
  const toast = useToast();
  return (
    <section className="card stack" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Where you are signed in</h2>
      {sessions.isPending ? (
        <Spinner />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
      ) : (
        <ul className="session-list">
          {sessions.data.items.map((s) => (
            <li key={s.id} className="session-item">
              <div>
                <strong>{deviceName(s.userAgent)}</strong>
                {s.current && <span className="badge badge-current">This device</span>}
                <p className="muted">
                  {s.ip ?? 'unknown address'} · signed in {formatDateTime(s.createdAt)} · last active{' '}
                  {formatDateTime(s.lastUsedAt)}
                </p>
              </div>
              {s.current ? (
                <Button onClick={() => void signOut()} aria-label="Sign out of this device">
                  Sign out
                </Button>
              ) : (
                <Button
                  aria-label={`Sign out ${deviceName(s.userAgent)}, last active ${formatDateTime(s.lastUsedAt)}`}
                  onClick={() => revoke.mutate(s.id, { onError: (err) => toast(errorMessage(err), { tone: 'error' }) })}
                >
                  Sign out
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      <Button variant="danger" onClick={() => setConfirmAll(true)}>
        Sign out everywhere
      </Button>
      <Dialog
        open={confirmAll}
        title="Sign out everywhere?"
        onClose={() => setConfirmAll(false)}
        footer={
          <>
            <Button onClick={() => setConfirmAll(false)}>Cancel</Button>
            <Button variant="danger" onClick={() => void signOut(true)}>
              Sign out everywhere
            </Button>
          </>
        }
      >
        <p>Every device signed in to this account, this one included, will have to sign in again.</p>
      </Dialog>
    </section>
  );
}

export function SettingsPage() {
  usePageTitle('Settings');
  const { user } = useSession();
  return (
    <Page title="Settings">
      <div className="settings-grid">
        <ProfileSection />
        <PasswordSection />
        <SessionsSection />
        {user?.role === 'admin' && <WorkspaceSection />}
      </div>
    </Page>
  );
}
