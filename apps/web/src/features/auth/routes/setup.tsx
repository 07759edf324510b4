import { setupBody } from '@crewdesk/contracts';
import { Link, Navigate, useSearchParams } from 'react-router';
import { Button } from '../../../components/button';
import { useServerForm } from '../../../lib/forms';
import { useSession } from '../../../lib/session';
import { setupFirstAdmin } from '../api/session-actions';
import { usePageTitle } from '../../../lib/use-page-title';
import { NewAccountFields } from '../components/new-account-fields';
import { FormError } from '../../../components/form-error';

/** Reached from the one-time link the server prints when it has no admin; the new admin lands on Get started. */
export function SetupPage() {
  usePageTitle('Set up Crewdesk');
  const [params] = useSearchParams();
  const session = useSession();
  const token = params.get('token') ?? '';
  const {
    register,
    submit,
    formError,
    formState: { errors, isSubmitting },
    // The token is not a field a person can fix: an error about it is shown for the form.
  } = useServerForm({ schema: setupBody, fields: ['email', 'password', 'name'], defaultValues: { token } });

  if (session.status === 'authenticated' && session.user?.role === 'admin')
    return <Navigate to="/get-started" replace />;
  if (!token) {
    return (
      <>
        <h1>Set up Crewdesk</h1>
        <p className="muted">Open the setup link the server printed when it started; it carries a one-time token.</p>
        <Link to="/sign-in">Back to sign in</Link>
      </>
    );
  }

  const onSubmit = submit(setupFirstAdmin);

  return (
    <>
      <h1>Create the first admin</h1>
      <p className="muted">This account manages users and settings. The link works once.</p>
      <form onSubmit={onSubmit} noValidate className="stack">
        <input type="hidden" {...register('token')} />
        <NewAccountFields register={register} errors={errors} />
        <FormError message={formError} />
        <Button type="submit" variant="primary" busy={isSubmitting}>
          Create admin
        </Button>
      </form>
    </>
  );
}
